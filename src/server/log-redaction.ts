/** Query parameters whose value is a credential: `access_token` (EventSource, WebSocket) and kin. */
const SECRET_PARAM = /token|secret|passw|api[-_]?key|auth|signature|jwt|^key$|^sig$/i;

/** Headers whose value is a credential, by lower-case name. */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

const REDACTED = '[redacted]';

/**
 * The URL with the value of every credential-like query parameter (`access_token`, `token`,
 * `api_key`, `secret`, ...) replaced by `[redacted]`. Names are matched decoded, as the hub's
 * query parser reads them, so `access%5Ftoken` is redacted too.
 *
 * @example
 * ```ts
 * redactUrl('/v1/sse?types=orders.*&access_token=s3cret'); // '/v1/sse?types=orders.*&access_token=[redacted]'
 * ```
 */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const pairs = url
    .slice(query + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      return isSecretName(name) ? `${name}=${REDACTED}` : pair;
    });
  return `${url.slice(0, query + 1)}${pairs.join('&')}`;
}

function isSecretName(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    // Malformed encoding: the raw name is matched.
  }
  return SECRET_PARAM.test(decoded);
}

type Serializer = (value: never) => unknown;

interface RawRequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * The hub's pino options: the caller's (`true` is pino at `info`), with every URL written under
 * `req` or `res` redacted by `redactUrl`, and the `Authorization`, `Proxy-Authorization`,
 * `Cookie` and `Set-Cookie` headers censored wherever a logged object carries `headers`. Applied
 * by `createServer` to whatever logger options it is given, so no request log, error log or line
 * of Fastify's own writes a credential.
 *
 * @example
 * ```ts
 * Fastify({ logger: redactedLoggerOptions({ level: 'info' }) });
 * ```
 */
export function redactedLoggerOptions(
  logger: boolean | Record<string, unknown> | undefined,
): false | Record<string, unknown> {
  if (logger === undefined || logger === false) return false;
  const options = logger === true ? {} : logger;
  const serializers = (options.serializers ?? {}) as Record<string, Serializer | undefined>;
  const req = serializers.req;
  const res = serializers.res;
  return {
    ...options,
    serializers: {
      ...serializers,
      req: (request: RawRequestLike) => scrub(req ? req(request as never) : requestFields(request)),
      res: (reply: unknown) => scrub(res ? res(reply as never) : { statusCode: statusOf(reply) }),
    },
    redact: { paths: [...userPaths(options.redact), ...headerPaths()], censor: REDACTED },
  };
}

function requestFields(request: RawRequestLike): Record<string, unknown> {
  return {
    method: request.method,
    url: request.url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

function statusOf(reply: unknown): unknown {
  return (reply as { statusCode?: unknown } | null)?.statusCode;
}

/** A serialized request or reply with its URL redacted and its credential headers censored. */
function scrub(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const out = { ...(value as Record<string, unknown>) };
  if (typeof out.url === 'string') out.url = redactUrl(out.url);
  if (out.headers !== null && typeof out.headers === 'object') {
    const headers = { ...(out.headers as Record<string, unknown>) };
    for (const name of Object.keys(headers)) {
      if (SECRET_HEADERS.includes(name.toLowerCase())) headers[name] = REDACTED;
    }
    out.headers = headers;
  }
  return out;
}

function headerPaths(): string[] {
  const names = SECRET_HEADERS.map((name) => `["${name}"]`);
  return names.flatMap((name) => [`headers${name}`, `*.headers${name}`]);
}

function userPaths(redact: unknown): string[] {
  if (Array.isArray(redact)) return redact as string[];
  const paths = (redact as { paths?: unknown } | undefined)?.paths;
  return Array.isArray(paths) ? (paths as string[]) : [];
}
