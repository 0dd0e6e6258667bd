import type { AddressInfo } from 'node:net';
import type { LoadedConfig } from '../server/config/index.js';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;
const ANY = new Set(['0.0.0.0', '::']);

/**
 * Where the hub really listens, from the server's own addresses (so `--port 0` shows the port the
 * system chose): a URL to reach it, then, when it is bound to every interface (`0.0.0.0`, `::`),
 * that it is. The URL of a wildcard bind is its loopback one, which works from this machine.
 *
 * @example
 * ```ts
 * listeningAt([{ address: '0.0.0.0', family: 'IPv4', port: 4021 }]);
 * // { url: 'http://127.0.0.1:4021', note: 'every interface, 0.0.0.0:4021' }
 * ```
 */
export function listeningAt(addresses: readonly (AddressInfo | string)[]): { url: string; note?: string } {
  const bound = addresses.filter((a): a is AddressInfo => typeof a !== 'string');
  const pipe = addresses.find((a): a is string => typeof a === 'string'); // a Unix socket or pipe
  // An IPv4 one first: it is what a user types (and what `localhost` resolves to on most systems).
  const first = bound.find((a) => a.family === 'IPv4') ?? bound[0];
  if (first === undefined) return { url: pipe ?? 'an unknown address' };
  const hostPort = (host: string): string => `${host.includes(':') ? `[${host}]` : host}:${first.port}`;
  if (!ANY.has(first.address)) return { url: `http://${hostPort(first.address)}` };
  const loopback = first.address === '::' ? '::1' : '127.0.0.1';
  return { url: `http://${hostPort(loopback)}`, note: `every interface, ${hostPort(first.address)}` };
}

/**
 * The warning `herald serve` prints on stderr when `insecure` is set, or `undefined` when it is
 * not. Beyond loopback without auth, it says that anyone who can reach the hub can read and
 * publish everything; otherwise that the setting changes nothing here (and should go).
 *
 * @example
 * ```ts
 * insecureWarning(loadConfig({ flags: { host: '0.0.0.0', insecure: true } }));
 * // 'herald: warning: insecure (from --insecure): listening on 0.0.0.0 with no authentication: ...'
 * ```
 */
export function insecureWarning({ config, sources }: LoadedConfig): string | undefined {
  if (!config.insecure) return undefined;
  const from = `insecure (from ${sources.get('insecure') ?? 'default'})`;
  if (LOOPBACK.test(config.host) || config.auth !== undefined) {
    const why = config.auth !== undefined ? 'auth is configured' : `${config.host} is loopback`;
    return `herald: warning: ${from} is set but changes nothing here (${why})`;
  }
  return (
    `herald: warning: ${from}: listening on ${config.host} with no authentication: anyone who can ` +
    'reach this port can read every event and publish any. Configure auth.keys or auth.jwt ' +
    '(docs/auth.md).'
  );
}
