import type { NatsConnection } from '@nats-io/transport-node';
import { HeraldError } from '../../errors/index.js';
import { checkInteger, checkMillis, invalidOption } from '../../log/invalid-option.js';
import type { MoverOptions } from '../../log/kit/schedule.js';
import type { RetentionOptions } from '../../log/types.js';

/** Options of `natsLog`. Give `servers` (the log connects and closes) or `connection` (yours). */
export interface NatsLogOptions {
  /** Where to connect, e.g. `'127.0.0.1:4222'`; the log owns this connection. */
  servers?: string | string[];
  /** An open connection the log uses and leaves open on `close`. */
  connection?: NatsConnection;
  /** The JetStream stream (created when missing, limits updated when present). */
  stream: string;
  /** Event type `t` is stored on subject `<subjectPrefix>.<t>`; the stream captures `<subjectPrefix>.>`. */
  subjectPrefix: string;
  /** Limits, applied by JetStream itself (`max_msgs`, `max_age`) and by `applyRetention`. */
  retention?: RetentionOptions;
  /**
   * With `servers`: how long opening the log keeps trying to connect before it fails with
   * `LOG_UNREACHABLE` (default 10,000 ms). Once open, the connection reconnects for as long as
   * the log is open; appends made while it is down fail at once with `LOG_UNREACHABLE`. An
   * append whose ack the dropped connection lost waits up to 3 s from the call for it to come
   * back, then finds what the server stored and goes on (its own events are not duplicates).
   */
  connectTimeoutMs?: number;
  /** JetStream's `Nats-Msg-Id` window (default 120,000 ms; never above `retention.maxAgeMs`). */
  duplicateWindowMs?: number;
  /**
   * How this log moves its due scheduled events (see `MoverOptions`). Pending events live in the
   * stream `<stream>_SCHED` (docs/nats.md, "Scheduled delivery"); any log open on the stream
   * moves them unless `move: false`.
   */
  scheduler?: MoverOptions;
}

/** The options checked, with defaults. Internal. */
export interface ResolvedNatsOptions {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly maxEvents: number | undefined;
  readonly maxAgeMs: number | undefined;
  readonly duplicateWindowMs: number;
  readonly connectTimeoutMs: number;
}

// A JetStream stream name may not hold spaces, dots, wildcards or path separators.
const STREAM_NAME = /^[A-Za-z0-9_-]{1,200}$/;
// Literal subject tokens: what a prefix of every Herald subject must be.
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Checks `natsLog`'s options (`INVALID_OPTION` / `INVALID_CONFIG`). Internal.
 *
 * @example
 * ```ts
 * resolveNatsOptions({ servers: '127.0.0.1:4222', stream: 'HERALD', subjectPrefix: 'herald' });
 * ```
 */
export function resolveNatsOptions(options: NatsLogOptions): ResolvedNatsOptions {
  if ((options.servers === undefined) === (options.connection === undefined))
    throw new HeraldError('INVALID_CONFIG', 'natsLog needs exactly one of `servers` and `connection`');
  if (typeof options.stream !== 'string' || !STREAM_NAME.test(options.stream))
    throw invalidOption('stream', options.stream, 'a JetStream stream name (letters, digits, _ and -)');
  if (typeof options.subjectPrefix !== 'string' || !PREFIX.test(options.subjectPrefix))
    throw invalidOption('subjectPrefix', options.subjectPrefix, 'literal subject tokens, e.g. "herald"');
  const { maxEvents, maxAgeMs } = options.retention ?? {};
  const resolvedAge = maxAgeMs === undefined ? undefined : checkMillis('maxAgeMs', maxAgeMs, 1);
  const window = checkMillis('duplicateWindowMs', options.duplicateWindowMs ?? 120_000, 1);
  return {
    stream: options.stream,
    subjectPrefix: options.subjectPrefix,
    maxEvents: maxEvents === undefined ? undefined : checkInteger('maxEvents', maxEvents, 1),
    maxAgeMs: resolvedAge,
    // JetStream refuses a duplicate window longer than the stream's max age (at least 100 ms).
    connectTimeoutMs: checkMillis('connectTimeoutMs', options.connectTimeoutMs ?? 10_000, 0),
    duplicateWindowMs: resolvedAge === undefined ? window : Math.min(window, Math.max(resolvedAge, 100)),
  };
}
