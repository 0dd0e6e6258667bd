/** One API key from the config: the key itself (or its SHA-256) and its grants. */
export interface ApiKeyOptions {
  /** Names the caller in logs, in `source` of what it publishes, and in errors. */
  name: string;
  /** The secret as sent in `Authorization: Bearer <key>`; or give `sha256` instead. */
  key?: string;
  /** Hex SHA-256 of the key, so the config need not hold the secret itself. */
  sha256?: string;
  publish?: readonly string[];
  subscribe?: readonly string[];
  /** Streams it may address by name: `order-7`, `order-*` (a prefix), `*` (all). Default none. */
  streams?: readonly string[];
  admin?: boolean;
}

/** JWT verification (with `jose`): HS256 with `secret`, RS256/ES256 with a JWKS. */
export interface JwtOptions {
  /** Shared secret for HS256. */
  secret?: string;
  /** Path to a JWKS file (RS256, ES256). */
  jwksFile?: string;
  /** The JWKS itself (instead of a file). */
  jwks?: { keys: Record<string, unknown>[] };
  issuer?: string;
  audience?: string;
}

/**
 * The hub's authentication. When neither keys nor JWT are set, auth is off and every caller is
 * the all-powerful `anonymous` (the hub then refuses to bind beyond loopback without `--insecure`).
 * Tokens arrive as `Authorization: Bearer <token>`, or as `?access_token=` where a client cannot set
 * headers (browser `EventSource` and `WebSocket`).
 */
export interface AuthOptions {
  keys?: readonly ApiKeyOptions[];
  jwt?: JwtOptions;
  /**
   * Failed authentications one address may make per window (default 20 per 60,000 ms). Past it,
   * every request from that address that needs a token gets 429 `RATE_LIMITED` until the window
   * passes, without the token being checked, so keys cannot be guessed at speed.
   */
  failureLimit?: { max: number; windowMs: number };
}
