/** Recurring schedules (cron expressions and intervals) on top of the log's delayed delivery. */
export {
  checkRecurring,
  recurringSchedules,
  tickId,
  type RecurringHandle,
  type RecurringOptions,
  type RecurringSchedule,
} from './recurring.js';
