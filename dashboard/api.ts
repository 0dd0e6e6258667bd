/**
 * The dashboard's only way to the hub: its public HTTP API (`fetch`) and `herald/client` for live
 * events, with the token typed into the page (kept in this tab's session storage, sent as a
 * Bearer header, never in the URL). Shared by every view.
 */
import { useEffect, useState } from 'preact/hooks';
import { createClient } from '../src/client/index.js';

const TOKEN_KEY = 'herald.dashboard.token';
declare const HERALD_HUB_URL: string | undefined;
/** The hub's origin: the page's own, or the dev server's `--hub`. */
export const HUB =
  typeof HERALD_HUB_URL === 'string' && HERALD_HUB_URL !== '' ? HERALD_HUB_URL : location.origin;

let token = sessionStorage.getItem(TOKEN_KEY) ?? '';

/** The token in use ('' for none). */
export function currentToken(): string {
  return token;
}

/** Keeps a new token for this tab ('' forgets it). */
export function setToken(value: string): void {
  token = value.trim();
  if (token === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** The typed client every live view shares; it reads the token on each connection. */
export const client = createClient({ url: HUB, token: () => (token === '' ? undefined : token) });

/** An error reply of the hub: its status, code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function headers(extra?: Record<string, string>): Record<string, string> {
  return { ...(token === '' ? {} : { authorization: `Bearer ${token}` }), ...extra };
}

async function reply<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(
      res.status,
      error?.code ?? `HTTP_${res.status}`,
      error?.message ?? `${res.status} ${res.statusText}`,
    );
  }
  return body as T;
}

/**
 * `GET` a hub route and parse its JSON; an error reply throws `ApiError`.
 *
 * @example
 * ```ts
 * const stats = await getJson<{ head: number }>('/v1/stats?since=60');
 * ```
 */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return reply<T>(await fetch(`${HUB}${path}`, { headers: headers({ accept: 'application/json' }), signal }));
}

/**
 * `POST` (or another method) a JSON body to a hub route; an error reply throws `ApiError`.
 *
 * @example
 * ```ts
 * await sendJson('/v1/groups/mailer/dead-letters/redrive', { positions: [3, 7] });
 * ```
 */
export async function sendJson<T>(path: string, body: unknown, method = 'POST'): Promise<T> {
  return reply<T>(
    await fetch(`${HUB}${path}`, {
      method,
      headers: headers({ accept: 'application/json', 'content-type': 'application/json' }),
      body: JSON.stringify(body),
    }),
  );
}

/** A message for any error, for a status line. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** The caller as `GET /v1/me` answers it. */
export interface Me {
  id: string;
  auth: boolean;
  admin: boolean;
  publish: string[];
  subscribe: string[];
  streams: string[];
  expiresAt: string | null;
}

/** `GET /v1/me`, or undefined when the hub refuses (no token, a bad token). */
export async function loadMe(): Promise<Me | undefined> {
  try {
    return await getJson<Me>('/v1/me');
  } catch {
    return undefined;
  }
}

// The head of the log as the page last saw it: the header shows the highest of the stats' head
// and any position a view noted (the tail notes each event), so it moves with the tail.
let head = 0;
const headListeners = new Set<(head: number) => void>();

/** Notes a position seen in the log (the header's head never goes back). */
export function noteHead(position: number | undefined): void {
  if (position === undefined || position <= head) return;
  head = position;
  for (const listener of headListeners) listener(head);
}

/** The highest position noted so far, re-rendering on change. */
export function useHead(): number {
  const [value, setValue] = useState(head);
  useEffect(() => {
    headListeners.add(setValue);
    return () => headListeners.delete(setValue);
  }, []);
  return value;
}
