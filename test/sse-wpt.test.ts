/**
 * How browsers parse Server-Sent Events (WPT `eventsource/` vectors, read from the shared
 * `external-cases` folder next to the repository, never copied into it), proven on the test
 * parser, which then checks that the hub's real stream round-trips every event exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { isValidType } from '../src/subject/subject.js';
import { waitFor } from '../src/testing/wait-for.js';
import { publish, startHub, type TestHub } from './helpers/sse-hub.js';
import { SseParser, parseSse, type SseEvent } from './helpers/sse-parser.js';
import { openSse } from './helpers/sse-stream.js';

interface Vector {
  id: string;
  wpt: string;
  stream: string;
  expect: SseEvent[];
  contentType?: string;
  observed?: string;
}

// The repository is cloned next to `shared/` (as `<parent>/main`, ...), so the data is found
// from the repository root whatever the clone is called.
const repoRoot = new URL('../', import.meta.url);
const vectorsFile = new URL('../shared/external-cases/wpt-eventsource/sse-parse-vectors.json', repoRoot);

function parseInPieces(bytes: Uint8Array, size: number): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser({ onEvent: (e) => events.push(e) });
  for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
  parser.end();
  return events;
}

if (existsSync(vectorsFile)) {
  const { vectors } = JSON.parse(readFileSync(vectorsFile, 'utf8')) as { vectors: Vector[] };

  describe('the test SSE parser on the WPT eventsource vectors', () => {
    it('has vectors to run', () => {
      expect(vectors.length).toBeGreaterThan(10);
    });

    // `contentType` only says what a browser does with a non-UTF-8 charset; the bytes are
    // always decoded as UTF-8, so every vector applies to the parser.
    for (const vector of vectors) {
      it(`${vector.id} (${vector.wpt})`, () => {
        const bytes = new TextEncoder().encode(vector.stream);
        expect(parseSse(bytes).events).toEqual(vector.expect);
        // Every chunking gives the same events: CRLF split over two chunks, split UTF-8 sequences.
        for (const size of [1, 2, 3, 7]) expect(parseInPieces(bytes, size)).toEqual(vector.expect);
      });
    }
  });
} else {
  const reason = `no WPT vectors at ${fileURLToPath(vectorsFile)}`;
  if (process.env.CI === 'true') {
    it('WPT eventsource vectors', () => {
      expect.fail(`${reason} (required under CI=true)`);
    });
  } else {
    console.warn(`skipping the WPT eventsource vectors: ${reason}`);
    it.skip(`WPT eventsource vectors (skipped: ${reason})`, () => undefined);
  }
}

describe("the hub's SSE stream", () => {
  let log: EventLog;
  let hub: TestHub;
  beforeAll(async () => {
    log = memoryLog();
    hub = await startHub({ log, bodyLimit: 8 * 1024 * 1024 });
  });
  afterAll(async () => {
    await hub.app.close();
    await log.close();
  });

  const tricky: Record<string, unknown>[] = [
    { type: 'text.lines', data: 'line 1\nline 2\r\nline 3\rline 4\n\n' },
    { type: 'text.injection', data: 'data: fake\n\nid: 99\nevent: evil\nretry: 1\n\n: comment' },
    { type: 'text.unicode', data: 'héllo – 日本語 – 😀 – \u2028\u2029\u0085 – \ufeff' },
    { type: 'text.nul', data: '\u0000a\u0000' },
    { type: 'text.empty', data: '' },
    { type: 'text.colon', data: ':' },
    { type: 'nested.object', data: { a: ['\n', '\r', { b: 'c\r\nd' }], e: null, f: 1.5, g: true } },
    { type: 'huge.payload', data: 'x\n'.repeat(1_000_000) },
    { type: 'no.data' },
    ...(isValidType('ünïcode.tÿpé') ? [{ type: 'ünïcode.tÿpé', data: 'ü' }] : []),
  ];

  it('parses with the WHATWG rules into exactly the stored events, ids being positions', async () => {
    // Named (`named=true`), so each type also goes through the parser's `event:` field.
    const stream = await openSse(`${hub.base}/v1/sse?named=true`);
    const es = new EventSource(`${hub.base}/v1/sse?named=true`);
    const viaClient: SseEvent[] = [];
    for (const { type } of tricky) {
      es.addEventListener(type as string, (e) =>
        viaClient.push({ type: e.type, data: e.data as string, lastEventId: e.lastEventId }),
      );
    }
    await new Promise((resolve) => (es.onopen = resolve));
    const positions = await publish(hub.base, tricky);
    await waitFor(() => stream.events.length === tricky.length && viaClient.length === tricky.length, {
      message: 'every event through both parsers',
    });
    stream.close();
    es.close();
    for (const [i, event] of stream.events.entries()) {
      const stored = (await (
        await fetch(`${hub.base}/v1/events?after=${positions[i]! - 1}&limit=1`)
      ).json()) as {
        events: Record<string, unknown>[];
      };
      expect(event.type).toBe(tricky[i]!.type);
      expect(event.lastEventId).toBe(String(positions[i]));
      expect(JSON.parse(event.data)).toEqual(stored.events[0]);
      expect(JSON.parse(event.data)).toMatchObject(tricky[i]!);
    }
    // The npm client (what Node users run) sees the same events.
    expect(viaClient).toEqual(stream.events);
  });

  it.each([
    ['', 0],
    ['&named=true', 1],
  ])(
    'writes LF line endings only, an id: on every event, and one data: line per event (%s)',
    async (query, eventLines) => {
      const stream = await openSse(`${hub.base}/v1/sse?from=start&types=text.>${query}`);
      await waitFor(() => stream.events.length >= 6);
      stream.close();
      const raw = stream.raw();
      expect(raw).not.toContain('\r');
      const blocks = raw.split('\n\n').filter((b) => b.includes('data:'));
      expect(blocks.length).toBe(stream.events.length);
      for (const block of blocks) {
        const lines = block.split('\n');
        expect(lines.filter((l) => l.startsWith('id: '))).toHaveLength(1);
        expect(lines.filter((l) => l.startsWith('data: '))).toHaveLength(1);
        // Unnamed by default (onmessage); named=true adds exactly one event: line.
        expect(lines.filter((l) => l.startsWith('event: '))).toHaveLength(eventLines);
      }
    },
  );
});
