import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteLog } from '../../../src/backends/sqlite/index.js';
import { memoryLog } from '../../../src/backends/memory/index.js';
import type { EventLog } from '../../../src/log/types.js';
import type { ServerOptions } from '../../../src/server/index.js';
import { startHub, type TestHub } from '../../helpers/sse-hub.js';

/** A hub for a security test and how to stop it (server, log and files). */
export interface SecurityHub extends TestHub {
  stop(): Promise<void>;
}

/**
 * Starts a hub on 127.0.0.1:0 over a fresh log: `sqlite` (what `herald serve` runs by default,
 * in a temporary folder) or `memory`.
 *
 * @example
 * ```ts
 * const hub = await securityHub('sqlite');
 * await fetch(`${hub.base}/v1/events`);
 * await hub.stop();
 * ```
 */
export async function securityHub(
  kind: 'sqlite' | 'memory',
  options: Omit<ServerOptions, 'log' | 'metrics'> = {},
): Promise<SecurityHub> {
  let dir: string | undefined;
  let log: EventLog;
  if (kind === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'herald-security-'));
    log = await sqliteLog({ path: join(dir, 'events.db'), durability: 'os' });
  } else {
    log = memoryLog();
  }
  const hub = await startHub({ ...options, log });
  return {
    ...hub,
    async stop() {
      await hub.app.close();
      await log.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The JSON error body every 4xx of the hub carries. */
export interface ErrorReply {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/**
 * Whether `body` is exactly the hub's error shape: `{ error: { code, message, details } }` with a
 * non-empty upper-case code, a string message and an object of details.
 *
 * @example
 * ```ts
 * isErrorReply({ error: { code: 'INVALID_EVENT', message: 'm', details: {} } }); // true
 * ```
 */
export function isErrorReply(body: unknown): body is ErrorReply {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, details } = error as Record<string, unknown>;
  return (
    typeof code === 'string' &&
    /^[A-Z][A-Z_]*$/.test(code) &&
    typeof message === 'string' &&
    typeof details === 'object' &&
    details !== null &&
    !Array.isArray(details)
  );
}
