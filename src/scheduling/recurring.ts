import { Cron } from 'croner';
import { HeraldError } from '../errors/herald-error.js';
import type { HeraldEvent } from '../event/types.js';
import { validateEvent } from '../event/validate-event.js';
import { checkName, invalidOption } from '../log/invalid-option.js';
import type { EventLog } from '../log/types.js';
import { validateType } from '../subject/subject.js';

/** One recurring schedule: every tick produces one event. */
export interface RecurringSchedule {
  /** Names the schedule; part of each tick's event id, so every process must use the same one. */
  name: string;
  /** A cron expression (5 fields, or 6 with seconds first; croner's syntax, e.g. `0 9 * * MON-FRI`). */
  cron?: string;
  /** An interval instead of `cron`: ticks at whole multiples of it since the Unix epoch (at least 1,000 ms). */
  everyMs?: number;
  /** The IANA time zone of `cron` (default UTC). */
  timezone?: string;
  /** The event type of each tick. */
  type: string;
  /** The data of each tick's event. */
  data?: unknown;
  /** The event's `subject`. */
  subject?: string;
  /** The stream each tick is appended to. */
  stream?: string;
}

/** Options of `recurringSchedules`. */
export interface RecurringOptions {
  /** Told when a tick could not be scheduled (the log unreachable); the next tick is tried anyway. */
  onError?: (error: unknown, schedule: RecurringSchedule) => void;
}

/** The running schedules of `recurringSchedules`. */
export interface RecurringHandle {
  /** The time of the next tick this process will schedule for `name`. */
  next(name: string): Date | undefined;
  /** Stops scheduling ticks (ticks already scheduled stay in the log's schedule). */
  stop(): void;
}

const MIN_INTERVAL_MS = 1_000;

/** A tick's event id: the schedule's name and the tick's time, the same in every process. */
export function tickId(name: string, at: Date): string {
  return `schedule:${name}:${at.toISOString()}`;
}

/**
 * Checks a schedule (`INVALID_OPTION` naming the field): a name, exactly one of `cron` (a pattern
 * croner accepts, in a known time zone) and `everyMs` (an integer of at least 1,000), a valid type.
 *
 * @example
 * ```ts
 * checkRecurring({ name: 'nightly', cron: '0 3 * * *', type: 'report.nightly' });
 * ```
 */
export function checkRecurring(schedule: RecurringSchedule): RecurringSchedule {
  const given: unknown = schedule;
  if (typeof given !== 'object' || given === null) throw invalidOption('schedule', given, 'an object');
  checkName('name', schedule.name);
  if (schedule.name.includes(':')) throw invalidOption('name', schedule.name, 'a name without ":"');
  if ((schedule.cron === undefined) === (schedule.everyMs === undefined)) {
    throw invalidOption(
      'cron',
      schedule.cron,
      `exactly one of cron and everyMs in schedule "${schedule.name}"`,
    );
  }
  if (schedule.everyMs !== undefined) {
    const every: unknown = schedule.everyMs;
    if (typeof every !== 'number' || !Number.isSafeInteger(every) || every < MIN_INTERVAL_MS) {
      throw invalidOption('everyMs', every, `an integer of at least ${MIN_INTERVAL_MS} ms`);
    }
  } else {
    try {
      // The time zone is only used (and so checked) when a run is computed.
      const cron = new Cron(schedule.cron!, { timezone: schedule.timezone ?? 'UTC', paused: true });
      cron.nextRun();
      cron.stop();
    } catch (error) {
      throw invalidOption('cron', schedule.cron, `a cron pattern (${(error as Error).message})`);
    }
  }
  validateType(schedule.type);
  if (schedule.stream !== undefined) checkName('stream', schedule.stream);
  return schedule;
}

/** The first tick strictly after `after`. */
function nextTick(schedule: RecurringSchedule, cron: Cron | undefined, after: number): Date | undefined {
  if (cron === undefined) {
    const every = schedule.everyMs!;
    return new Date((Math.floor(after / every) + 1) * every);
  }
  return cron.nextRun(new Date(after)) ?? undefined;
}

/** A tick's event: its id and `time` come from the schedule and the tick, never from this process. */
function tickEvent(schedule: RecurringSchedule, at: Date): HeraldEvent {
  return validateEvent({
    specversion: '1.0',
    id: tickId(schedule.name, at),
    source: `herald:schedule/${schedule.name}`,
    type: schedule.type,
    time: at.toISOString(),
    ...(schedule.subject !== undefined && { subject: schedule.subject }),
    ...(schedule.data !== undefined && { data: schedule.data }),
  });
}

/**
 * Runs recurring schedules on a log: for each, the next tick is put in the log's schedule store
 * ahead of its time (`log.schedule` with `deliverAt`), and the one after it once it is due. A
 * tick's event id is derived from the schedule's name and the tick's time, so several processes
 * running the same schedules on one backend (hubs behind a balancer) produce each tick once: the
 * store keeps one pending copy, and the log's idempotent append stores one event. Ticks fall due
 * through the log's mover, so they come on time while any process has the log open; ticks that
 * fell while no process ran a schedule are not made up.
 *
 * @example
 * ```ts
 * const schedules = recurringSchedules(log, [
 *   { name: 'nightly-report', cron: '0 3 * * *', timezone: 'Europe/Paris', type: 'report.nightly' },
 *   { name: 'heartbeat', everyMs: 60_000, type: 'system.heartbeat' },
 * ]);
 * // later
 * schedules.stop();
 * ```
 */
export function recurringSchedules(
  log: EventLog,
  schedules: readonly RecurringSchedule[],
  options: RecurringOptions = {},
): RecurringHandle {
  const names = new Set<string>();
  for (const schedule of schedules) {
    checkRecurring(schedule);
    if (names.has(schedule.name)) {
      throw new HeraldError('INVALID_OPTION', `two schedules are named "${schedule.name}"`, {
        details: { option: 'name', value: schedule.name },
      });
    }
    names.add(schedule.name);
  }
  const onError = options.onError ?? ((error, s) => console.error(`herald: schedule "${s.name}"`, error));
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const upcoming = new Map<string, Date>();
  let stopped = false;

  const run = (schedule: RecurringSchedule, cron: Cron | undefined, after: number): void => {
    if (stopped) return;
    const at = nextTick(schedule, cron, after);
    if (at === undefined) return; // a cron with no future run
    upcoming.set(schedule.name, at);
    const stream = schedule.stream;
    log
      .schedule([tickEvent(schedule, at)], { deliverAt: at, ...(stream !== undefined && { stream }) })
      .catch((error: unknown) => {
        if (!stopped) onError(error, schedule);
      });
    // Once this tick is due, put the next one in the store.
    const wait = Math.min(Math.max(0, at.getTime() - Date.now()), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      timers.delete(timer);
      // Late by more than a minute (a suspended process): go on from now, not tick by tick.
      run(schedule, cron, Date.now() - at.getTime() > 60_000 ? Date.now() : at.getTime());
    }, wait);
    timer.unref();
    timers.add(timer);
  };

  const now = Date.now();
  for (const schedule of schedules) {
    const cron =
      schedule.cron === undefined
        ? undefined
        : new Cron(schedule.cron, { timezone: schedule.timezone ?? 'UTC', paused: true });
    run(schedule, cron, now);
  }
  return {
    next: (name) => upcoming.get(name),
    stop: () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
