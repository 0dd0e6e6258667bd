/**
 * Hubs with auth for the admin route tests: an admin key and a reader key, over the memory log and
 * SQLite (a temporary file), with `get`/`post` calls as a key and a `[status, code]` reader.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { sqliteLog } from '../../src/backends/sqlite/index.js';
import { memoryLog } from '../../src/backends/memory/index.js';
import type { EventLog } from '../../src/log/types.js';
import { bearer, call, send, type Reply } from '../security/helpers/http.js';
import { startHub, type TestHub } from './sse-hub.js';

export const ADMIN = 'ops-key-123456';
export const READER = 'reader-key-1234';
export const ADMIN_HUB_KEYS = [
  { name: 'ops', key: ADMIN, admin: true },
  { name: 'reader', key: READER, subscribe: ['>'], publish: ['>'] },
];

/** The logs the admin route tests run on, by name (for `describe.each`). */
export const ADMIN_HUB_LOGS: [string, () => Promise<EventLog>][] = [
  ['memoryLog', () => Promise.resolve(memoryLog())],
  [
    'sqliteLog',
    () =>
      sqliteLog({ path: join(mkdtempSync(join(tmpdir(), 'herald-admin-')), 'events.db'), durability: 'os' }),
  ],
];

/** A hub started in `beforeAll` (closed with its log in `afterAll`) and calls to it as a key. */
export interface AdminHub {
  readonly hub: TestHub;
  readonly log: EventLog;
  readonly get: (path: string, token?: string) => Promise<Reply>;
  readonly post: (path: string, body: unknown, token?: string) => Promise<Reply>;
}

/**
 * Registers `beforeAll`/`afterAll` for a hub on `open()` with the two keys; read its fields inside
 * tests (they are set once `beforeAll` has run).
 *
 * @example
 * ```ts
 * describe.each(ADMIN_HUB_LOGS)('over %s', (_name, open) => {
 *   const admin = useAdminHub(open);
 *   it('lists groups', async () => expect((await admin.get('/v1/groups')).status).toBe(200));
 * });
 * ```
 */
export function useAdminHub(open: () => Promise<EventLog>): AdminHub {
  let hub: TestHub | undefined;
  let log: EventLog | undefined;
  beforeAll(async () => {
    log = await open();
    hub = await startHub({ log, auth: { keys: ADMIN_HUB_KEYS } });
  });
  afterAll(async () => {
    await hub?.app.close();
    await log?.close();
  });
  return {
    get hub() {
      return hub!;
    },
    get log() {
      return log!;
    },
    get: (path, token = ADMIN) => call(`${hub!.base}${path}`, { headers: bearer(token) }),
    post: (path, body, token = ADMIN) => send(`${hub!.base}${path}`, body, token),
  };
}

/** A reply's status and error code, for one-line expectations. */
export function statusAndCode(reply: Reply): [number, string | undefined] {
  return [reply.status, (reply.body as { error?: { code?: string } } | undefined)?.error?.code];
}
