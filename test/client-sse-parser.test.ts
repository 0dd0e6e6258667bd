/**
 * The client's SSE parser (`src/client/sse-parser.ts`) on every WPT `eventsource/` vector, read
 * from the shared `external-cases` folder next to the repository (never copied into it), whole and
 * in every chunking, plus the fields the vectors do not dispatch (`retry`, comments).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../src/client/sse-parser.js';

interface Vector {
  id: string;
  wpt: string;
  stream: string;
  expect: SseEvent[];
}

const repoRoot = new URL('../', import.meta.url);
const vectorsFile = new URL('../shared/external-cases/wpt-eventsource/sse-parse-vectors.json', repoRoot);

function parse(chunks: readonly (Uint8Array | string)[]): {
  events: SseEvent[];
  comments: string[];
  retry: number[];
} {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retry: number[] = [];
  const parser = new SseParser({
    onEvent: (e) => events.push({ ...e }),
    onComment: (c) => comments.push(c),
    onRetry: (ms) => retry.push(ms),
  });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { events, comments, retry };
}

function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

if (existsSync(vectorsFile)) {
  const { vectors } = JSON.parse(readFileSync(vectorsFile, 'utf8')) as { vectors: Vector[] };

  describe('the client SSE parser on the WPT eventsource vectors', () => {
    it('has every vector to run', () => {
      expect(vectors.length).toBe(20);
    });

    for (const vector of vectors) {
      it(`${vector.id} (${vector.wpt})`, () => {
        const bytes = new TextEncoder().encode(vector.stream);
        expect(parse([bytes]).events).toEqual(vector.expect);
        // Every chunking gives the same events: CRLF split over two chunks, split UTF-8 sequences.
        for (const size of [1, 2, 3, 5, 7, 64])
          expect(parse(pieces(bytes, size)).events).toEqual(vector.expect);
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

describe('the client SSE parser', () => {
  it('reports retry (digits only) and comments, one leading space stripped', () => {
    const { retry, comments, events } = parse([
      'retry: 1500\nretry: 1.5\nretry: x\nretry:20\n: herald: hello\n:  two\n:\n\n',
    ]);
    expect(retry).toEqual([1500, 20]);
    expect(comments).toEqual(['herald: hello', ' two', '']);
    expect(events).toEqual([]);
  });

  it('keeps the last event id of an id-only block (a hub keep-alive) for the reconnect', () => {
    const parser = new SseParser({ onEvent: () => undefined }, '3');
    expect(parser.lastEventId).toBe('3');
    parser.push('retry: 20\nid: 41\n\n');
    expect(parser.lastEventId).toBe('41');
    parser.push('id: 42\n');
    expect(parser.lastEventId).toBe('41');
    parser.push('\n');
    expect(parser.lastEventId).toBe('42');
  });

  it('a CR ending one chunk and an LF starting the next are one line end', () => {
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']).events).toEqual([
      { type: 'message', data: 'a\nb', lastEventId: '' },
    ]);
  });

  it('parses a large stream in linear time', () => {
    const line = `id: 1\nevent: big\ndata: ${'x'.repeat(100)}\n\n`;
    const text = line.repeat(50_000);
    const started = performance.now();
    const { events } = parse(pieces(new TextEncoder().encode(text), 65_536));
    expect(events).toHaveLength(50_000);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
