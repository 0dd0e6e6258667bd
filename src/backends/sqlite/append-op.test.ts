import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../errors/index.js';
import { memoryLog } from '../memory/index.js';
import type { AppendInput, AppendOptions, EventLog, StoredEvent } from '../../log/types.js';
import { sqliteLog } from './sqlite-log-factory.js';

// Appends of 32 events and more go in chunks of 32 rows per statement; a chunk with a duplicate
// id is taken back and stored event by event. These cases check, against the memory log, that
// the results and the stored events are exactly those of one insert per event.

const dir = mkdtempSync(join(tmpdir(), 'herald-append-op-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const event = (id: string, type = 'chunk.test'): AppendInput => ({
  specversion: '1.0',
  id,
  source: '/test',
  type,
  data: { id },
});
const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** What both logs must agree on: results, and every stored event but the time it was recorded. */
async function snapshot(log: EventLog): Promise<Omit<StoredEvent, 'recordedat'>[]> {
  const events: Omit<StoredEvent, 'recordedat'>[] = [];
  for await (const { recordedat: _, ...rest } of log.read({ from: 1 })) events.push(rest);
  return events;
}

async function bothLogs(
  steps: { inputs: AppendInput[]; options?: AppendOptions }[],
): Promise<{ results: unknown[]; events: unknown[] }[]> {
  const sqlite = await sqliteLog({ path: join(dir, `log-${++files}.db`) });
  const memory = memoryLog();
  try {
    const out = [];
    for (const log of [sqlite, memory]) {
      const results: unknown[] = [];
      for (const { inputs, options } of steps) {
        results.push(await log.append(inputs, options).catch((error: unknown) => error));
      }
      out.push({ results, events: await snapshot(log) });
    }
    return out;
  } finally {
    await sqlite.close();
    await memory.close();
  }
}

describe('sqlite append in chunks', () => {
  it('stores 100 new events at consecutive positions, as one insert per event would', async () => {
    const [sqlite, memory] = await bothLogs([{ inputs: ids('a', 100).map((id) => event(id)) }]);
    expect(sqlite).toEqual(memory);
    expect((sqlite!.results[0] as { position: number }[]).map((a) => a.position)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
  });

  it('reports an id stored before as a duplicate in the middle of a chunk, leaving no gap', async () => {
    const first = ids('b', 40).map((id) => event(id));
    const second = [...ids('c', 20), 'b-7', ...ids('d', 50), 'b-39'].map((id) => event(id));
    const [sqlite, memory] = await bothLogs([{ inputs: first }, { inputs: second }]);
    expect(sqlite).toEqual(memory);
    const stored = sqlite!.events as StoredEvent[];
    expect(stored.map((e) => e.position)).toEqual(Array.from({ length: 110 }, (_, i) => i + 1));
  });

  it('keeps the first of an id repeated within one append and reports the repeat as a duplicate', async () => {
    const inputs = [...ids('e', 10), 'e-3', ...ids('f', 40), 'f-39', 'e-0'].map((id) => event(id));
    const [sqlite, memory] = await bothLogs([{ inputs }]);
    expect(sqlite).toEqual(memory);
  });

  it('appends 70 events to a stream with versions, then answers a retry of the batch with the originals', async () => {
    const inputs = ids('g', 70).map((id) => event(id, 'chunk.stream'));
    const options: AppendOptions = { stream: 'order-1', expectedVersion: 'no_stream' };
    const [sqlite, memory] = await bothLogs([
      { inputs: ids('h', 5).map((id) => event(id)) },
      { inputs, options },
      { inputs, options },
      {
        inputs: ids('i', 33).map((id) => event(id, 'chunk.stream')),
        options: { stream: 'order-1', expectedVersion: 70 },
      },
    ]);
    expect(sqlite).toEqual(memory);
    const retried = sqlite!.results[2] as { duplicate: boolean; version: number }[];
    expect(retried.every((a) => a.duplicate)).toBe(true);
    expect(retried.map((a) => a.version)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
  });

  it('refuses a chunk-sized append whose expected version is wrong, storing nothing', async () => {
    const [sqlite, memory] = await bothLogs([
      { inputs: ids('j', 40).map((id) => event(id)), options: { stream: 's', expectedVersion: 3 } },
    ]);
    expect(sqlite).toEqual(memory);
    expect(sqlite!.results[0]).toBeInstanceOf(ConcurrencyError);
    expect(sqlite!.events).toEqual([]);
  });

  it('registers every new type of a chunk, so a pattern read finds them', async () => {
    const sqlite = await sqliteLog({ path: join(dir, `log-${++files}.db`) });
    try {
      const inputs = Array.from({ length: 64 }, (_, i) => event(`k-${i}`, `chunk.type${i % 5}.x`));
      await sqlite.append(inputs);
      for (let t = 0; t < 5; t++) {
        const found: string[] = [];
        for await (const e of sqlite.read({ from: 1, types: [`chunk.type${t}.*`] })) found.push(e.id);
        expect(found).toHaveLength(t < 4 ? 13 : 12);
      }
    } finally {
      await sqlite.close();
    }
  });
});
