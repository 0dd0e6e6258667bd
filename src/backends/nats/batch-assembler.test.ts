import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoredEvent } from '../../log/types.js';
import { BATCH_GRACE_MS, BATCH_SPAN_MS, BatchAssembler, type FedMessage } from './batch-assembler.js';

const event = (position: number): StoredEvent => ({
  specversion: '1.0',
  id: `e${position}`,
  source: 't',
  type: 't.x',
  position,
  recordedat: '',
});

/** A message at `position`, part `index` of `size` of batch `id` (none: a single event). */
const msg = (position: number, batch?: [string, number, number], timeMs = 0): FedMessage => ({
  event: event(position),
  batch: batch === undefined ? undefined : { id: batch[0], index: batch[1], size: batch[2] },
  timeMs,
});

function assembler() {
  const visible: number[] = [];
  const decided: number[] = [];
  const a = new BatchAssembler(
    (events) => visible.push(...events.map((e) => e.position)),
    (seq) => decided.push(seq),
  );
  return { a, visible, decided };
}

describe('BatchAssembler: which stored messages are events', () => {
  afterEach(() => vi.useRealTimers());

  it('shows single events at once and decides their sequence', () => {
    const { a, visible, decided } = assembler();
    a.push(msg(1));
    a.push(msg(2));
    expect(visible).toEqual([1, 2]);
    expect(decided).toEqual([1, 2]);
    expect(a.holding).toBe(false);
  });

  it('shows a batch only once all its messages arrived on consecutive sequences', () => {
    const { a, visible, decided } = assembler();
    a.push(msg(1, ['b', 1, 3]));
    a.push(msg(2, ['b', 2, 3]));
    expect(visible).toEqual([]);
    expect(a.holding).toBe(true);
    a.push(msg(3, ['b', 3, 3]));
    expect(visible).toEqual([1, 2, 3]);
    expect(decided).toEqual([3]);
  });

  it('never shows a batch another message cut into, nor the rest of it', () => {
    const { a, visible, decided } = assembler();
    a.push(msg(1, ['b', 1, 3]));
    a.push(msg(2)); // another writer cut in
    a.push(msg(3, ['b', 2, 3])); // the rest of the cut batch, if it landed at all
    a.push(msg(4, ['b', 3, 3]));
    expect(visible).toEqual([2]);
    expect(decided).toEqual([1, 2, 3, 4]);
  });

  it('never shows a batch with a deleted message in the middle', () => {
    const { a, visible } = assembler();
    a.push(msg(1, ['b', 1, 2]));
    a.push(msg(3, ['b', 2, 2])); // sequence 2 is gone
    expect(visible).toEqual([]);
  });

  it('never shows a batch stored over more than BATCH_SPAN_MS', () => {
    const { a, visible, decided } = assembler();
    a.push(msg(1, ['b', 1, 2], 1_000));
    a.push(msg(2, ['b', 2, 2], 1_000 + BATCH_SPAN_MS + 1));
    expect(visible).toEqual([]);
    expect(decided).toEqual([2]);
  });

  it('gives up on part of a batch whose writer died, after the span and the grace', () => {
    vi.useFakeTimers();
    const { a, visible, decided } = assembler();
    a.push(msg(1, ['b', 1, 2]));
    vi.advanceTimersByTime(BATCH_SPAN_MS + BATCH_GRACE_MS - 1);
    expect(decided).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(decided).toEqual([1]);
    expect(a.holding).toBe(false);
    a.push(msg(2, ['b', 2, 2])); // too late: an orphan
    expect(visible).toEqual([]);
    expect(decided).toEqual([1, 2]);
  });
});
