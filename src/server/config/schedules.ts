import { HeraldError } from '../../errors/herald-error.js';
import { checkRecurring, type RecurringSchedule } from '../../scheduling/recurring.js';
import { configError, shown } from './config-error.js';
import { didYouMean } from './did-you-mean.js';
import type { ValueType } from './value-types.js';

const FIELDS = ['name', 'cron', 'everyMs', 'timezone', 'type', 'data', 'subject', 'stream'];
const EXPECTED = 'a list of { name, cron or everyMs, timezone, type, data, subject, stream }';

/**
 * The `schedules` setting: recurring events the hub produces (see `recurringSchedules`), each
 * `{ name, cron | everyMs, timezone?, type, data?, subject?, stream? }`; from an environment
 * variable, the same list as JSON. Names must be unique; every hub on a shared backend should run
 * the same list (each tick is produced once however many do).
 *
 * @example
 * ```ts
 * schedules.check([{ name: 'nightly', cron: '0 3 * * *', type: 'report.nightly' }], 'schedules', 'herald.yaml:9');
 * ```
 */
export const schedules: ValueType = {
  expected: EXPECTED,
  fromText(t, key, source) {
    try {
      return JSON.parse(t) as unknown;
    } catch (error) {
      throw configError(key, source, `must be a JSON list of schedules: ${(error as Error).message}`);
    }
  },
  check(value, key, source) {
    if (!Array.isArray(value)) throw configError(key, source, `must be ${EXPECTED}, got ${shown(value)}`);
    const names = new Set<string>();
    return value.map((item: unknown, i): RecurringSchedule => {
      const at = `${key}[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw configError(at, source, `must be a mapping like { name, cron, type }, got ${shown(item)}`);
      }
      for (const field of Object.keys(item)) {
        if (!FIELDS.includes(field)) {
          const guess = didYouMean(field, FIELDS);
          throw configError(
            `${at}.${field}`,
            source,
            `is not a schedule field${guess ? ` (did you mean ${guess}?)` : ''}`,
          );
        }
      }
      const schedule = item as RecurringSchedule;
      try {
        checkRecurring(schedule);
      } catch (error) {
        if (!(error instanceof HeraldError)) throw error;
        const field = typeof error.details.option === 'string' ? `.${error.details.option}` : '';
        throw configError(`${at}${field}`, source, error.message);
      }
      if (names.has(schedule.name))
        throw configError(`${at}.name`, source, `repeats the name "${schedule.name}"`);
      names.add(schedule.name);
      return schedule;
    });
  },
};
