import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ResolvedNatsOptions } from './options.js';

const STREAM_NOT_FOUND = 10059;
export const MIN_MAX_AGE_MS = 100;

/**
 * Creates the log's JetStream stream (file storage, limits retention) or updates the limits of
 * an existing one, so a reopened log applies the limits it was given. Internal.
 *
 * @example
 * ```ts
 * await ensureStream(jsm, resolveNatsOptions(options));
 * ```
 */
export async function ensureStream(jsm: JetStreamManager, options: ResolvedNatsOptions): Promise<void> {
  const limits = {
    max_msgs: options.maxEvents ?? -1,
    // JetStream refuses a max age under 100 ms; `applyRetention` applies a shorter limit itself.
    max_age: options.maxAgeMs === undefined ? 0 : nanos(Math.max(options.maxAgeMs, MIN_MAX_AGE_MS)),
    duplicate_window: nanos(options.duplicateWindowMs),
  };
  try {
    const info = await jsm.streams.info(options.stream);
    await jsm.streams.update(options.stream, { ...info.config, ...limits });
  } catch (err) {
    if ((err as { code?: unknown }).code !== STREAM_NOT_FOUND) throw err;
    await jsm.streams.add({
      name: options.stream,
      subjects: [`${options.subjectPrefix}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      ...limits,
    });
  }
}

/**
 * Creates one of the log's schedule streams, `<stream>_SCHED` or `<stream>_SCHED_BUCKETS`
 * (file storage, limits retention; subjects under `<subjectPrefix>_sched`), when missing. Internal.
 *
 * @example
 * ```ts
 * await ensureScheduleStream(jsm, 'HERALD_SCHED', ['herald_sched.e.>', 'herald_sched.d.>', 'herald_sched.m.>']);
 * ```
 */
export async function ensureScheduleStream(
  jsm: JetStreamManager,
  name: string,
  subjects: string[],
): Promise<void> {
  try {
    await jsm.streams.info(name);
  } catch (err) {
    if ((err as { code?: unknown }).code !== STREAM_NOT_FOUND) throw err;
    await jsm.streams
      .add({
        name,
        subjects,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_msgs: -1,
        max_age: 0,
        duplicate_window: nanos(120_000),
      })
      .catch(async (error: unknown) => {
        // Another process made it meanwhile.
        await jsm.streams.info(name).catch(() => Promise.reject(error));
      });
  }
}

/**
 * Where the stream is: its first sequence, and the highest sequence of a stored message (0 when
 * none), which the index must have seen to be current; `lastSeq` counts deleted ones too.
 * Internal.
 *
 * @example
 * ```ts
 * const { firstSeq, lastStored, lastSeq } = await streamState(jsm, 'HERALD');
 * ```
 */
export async function streamState(
  jsm: JetStreamManager,
  stream: string,
): Promise<{ firstSeq: number; lastStored: number; lastSeq: number }> {
  const { state } = await jsm.streams.info(stream, { deleted_details: true });
  const deleted = new Set<number>(state.deleted as number[] | undefined);
  let lastStored = state.messages === 0 ? 0 : state.last_seq;
  while (lastStored > 0 && deleted.has(lastStored)) lastStored--;
  return { firstSeq: state.first_seq, lastStored, lastSeq: state.last_seq };
}

/**
 * Deletes these sequences' messages (JetStream keeps the sequence: positions are never reused).
 * One already gone (retention, or another process) is skipped. Internal.
 *
 * @example
 * ```ts
 * await deleteMessages(jsm, 'HERALD', [3, 4]);
 * ```
 */
export async function deleteMessages(
  jsm: JetStreamManager,
  stream: string,
  seqs: readonly number[],
): Promise<void> {
  for (const seq of seqs) await jsm.streams.deleteMessage(stream, seq, false).catch(() => false);
}
