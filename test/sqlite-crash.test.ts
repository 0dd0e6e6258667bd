import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLog } from '../src/backends/sqlite/index.js';
import { bundleFixture } from './fixtures/sqlite-bundle.js';

const KILLS = 20;
const dir = mkdtempSync(join(tmpdir(), 'herald-sqlite-crash-'));
let child = '';
beforeAll(async () => {
  child = await bundleFixture('sqlite-crash-child', dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Printed {
  appended: Map<string, { position: number; stream: string; version: string }>;
  delivered: Set<number>;
  acked: Set<number>;
}

/** Runs the child until it is ready, lets it work for a random while, SIGKILLs it; parses what it printed. */
async function runAndKill(path: string): Promise<Printed> {
  const into: Printed = { appended: new Map(), delivered: new Set(), acked: new Set() };
  const proc = spawn(process.execPath, [child, path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    proc.on('exit', (_code, signal) => resolve(signal)),
  );
  const deadline = Date.now() + 20_000;
  while (!stdout.includes('READY\n')) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`child did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 300));
  proc.kill('SIGKILL');
  expect(await exited, `the child died before the kill: ${stderr}`).toBe('SIGKILL');
  // A line cut by the kill is not a complete promise: only whole lines count.
  for (const line of stdout.slice(0, stdout.lastIndexOf('\n')).split('\n')) {
    const [kind, a, b, c, d] = line.split(' ');
    if (kind === 'A') into.appended.set(a!, { position: Number(b), stream: c!, version: d! });
    else if (kind === 'D') into.delivered.add(Number(a));
    else if (kind === 'K') into.acked.add(Number(a));
  }
  return into;
}

/** Every promise the killed process made still holds, and the file is whole. */
async function verify(path: string, printed: Printed): Promise<number> {
  const db = new Database(path, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const { n, first, last } = db
      .prepare('SELECT count(*) AS n, min(position) AS first, max(position) AS last FROM events')
      .get() as {
      n: number;
      first: number;
      last: number;
    };
    // Contiguous from 1: no hole, no position used twice.
    expect(first).toBe(1);
    expect(last).toBe(n);
    const byId = db.prepare('SELECT position, stream, version FROM events WHERE id = ?');
    for (const [id, a] of printed.appended) {
      const row = byId.get(id) as
        { position: number; stream: string | null; version: number | null } | undefined;
      expect(row, `resolved append ${id} at ${a.position} is missing`).toEqual({
        position: a.position,
        stream: a.stream === '-' ? null : a.stream,
        version: a.version === '-' ? null : Number(a.version),
      });
    }
    // Each stream's versions are 1..n with no gap.
    const streams = db
      .prepare(
        'SELECT stream, count(*) AS n, max(version) AS v FROM events WHERE stream IS NOT NULL GROUP BY stream',
      )
      .all() as {
      stream: string;
      n: number;
      v: number;
    }[];
    for (const s of streams) expect(s.v, `stream ${s.stream}`).toBe(s.n);
  } finally {
    db.close();
  }
  const log = await sqliteLog({ path });
  try {
    const group = await log.group('crash');
    const info = await group.info();
    const bounds = await log.bounds();
    expect(info.ackedPosition).toBeLessThanOrEqual(info.deliveredPosition);
    expect(info.deliveredPosition).toBeLessThanOrEqual(bounds.last);
    for (const position of printed.acked)
      expect(await group.status(position), `acked ${position}`).toBe('completed');
    // Delivered, not acked as far as the child said (it acks a position divisible by 3 only on
    // its redelivery): each is still owed and comes back, unless its ack committed just before the
    // kill took the line that would have said so. Nothing acked comes back.
    const owed = new Set<number>();
    for (const position of printed.delivered) {
      if (position % 3 !== 0 || printed.acked.has(position)) continue;
      const status = await group.status(position);
      expect(['processing', 'pending', 'completed'], `delivered ${position}`).toContain(status);
      if (status !== 'completed') owed.add(position);
    }
    const back = new Set<number>();
    const deadline = Date.now() + 10_000;
    while ([...owed].some((p) => !back.has(p))) {
      const missing = [...owed].filter((p) => !back.has(p));
      expect(Date.now(), `not redelivered: ${missing.join(', ')}`).toBeLessThan(deadline);
      for (const d of await group.pull({ max: 100, waitMs: 100 })) {
        const { position } = d.event;
        expect(printed.acked.has(position), `acked ${position} was delivered again`).toBe(false);
        back.add(position);
        await d.ack(); // finish the work the killed child left
      }
    }
    return owed.size;
  } finally {
    await log.close();
  }
}

describe('sqlite log under SIGKILL', () => {
  it(`keeps every resolved append exactly once, positions contiguous and the group consistent across ${KILLS} kills`, async () => {
    const path = join(dir, 'crash.db');
    const all: Printed = { appended: new Map(), delivered: new Set(), acked: new Set() };
    let redelivered = 0;
    for (let i = 0; i < KILLS; i++) {
      const printed = await runAndKill(path);
      redelivered += await verify(path, printed);
      for (const [id, a] of printed.appended) all.appended.set(id, a);
      for (const p of printed.acked) all.acked.add(p);
    }
    // Everything every process was promised, checked once more at the end.
    await verify(path, { ...all, delivered: new Set() });
    expect(all.appended.size).toBeGreaterThan(KILLS * 100);
    expect(all.acked.size).toBeGreaterThan(KILLS * 10);
    expect(redelivered, 'unacked deliveries came back after the kills').toBeGreaterThan(KILLS);
  }, 120_000);
});
