import { BlockList, isIP, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * True for a loopback IP address: `127.0.0.0/8`, `::1`, and their IPv4-mapped form.
 *
 * @example
 * ```ts
 * isLoopbackAddress('127.0.0.1'); // true
 * isLoopbackAddress('0.0.0.0'); // false
 * ```
 */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * True when `origin` is exactly the origin of a page on this machine's loopback interface:
 * `http` or `https`, host `localhost`, an address in `127.0.0.0/8`, or `[::1]`, any port.
 * Names that merely start with them (`localhost.evil.example`), `*.localhost` names, `null` and
 * anything that is not a bare origin (a path, user info) are not.
 *
 * @example
 * ```ts
 * isLoopbackOrigin('http://localhost:5173'); // true
 * isLoopbackOrigin('http://localhost.evil.example'); // false
 * ```
 */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  // A browser sends the serialized origin, nothing more: anything else is not a page's origin.
  if (url.origin !== origin.toLowerCase() && url.origin !== origin) return false;
  const host = url.hostname;
  if (host === 'localhost') return true;
  if (host.startsWith('[')) return isLoopbackAddress(host.slice(1, -1));
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Whether the hub listens on loopback addresses only (`127.0.0.1`, `::1`, or both for
 * `localhost`), as a function asked per request: `false` until it listens (an `inject()`ed
 * request reaches no socket), then the answer for the addresses it bound, kept.
 *
 * @example
 * ```ts
 * const loopbackOnly = boundToLoopback(app);
 * if (loopbackOnly()) { ... }
 * ```
 */
export function boundToLoopback(app: FastifyInstance): () => boolean {
  let known: boolean | undefined;
  return () => {
    if (known !== undefined) return known;
    if (!app.server.listening) return false;
    const addresses: (AddressInfo | string)[] = app.addresses();
    if (addresses.length === 0) return false;
    known = addresses.every((a) => typeof a !== 'string' && isLoopbackAddress(a.address));
    return known;
  };
}
