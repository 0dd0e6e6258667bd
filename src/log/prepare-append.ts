import { HeraldError } from '../errors/index.js';
import { createEvent } from '../event/create-event.js';
import type { HeraldEvent } from '../event/types.js';
import { validateEvent } from '../event/validate-event.js';
import { validateType } from '../subject/subject.js';
import { checkExpectedVersionOption } from './expected-version.js';
import { checkName, invalidOption } from './invalid-option.js';
import type { AppendInput, AppendOptions, ExpectedVersion } from './types.js';

/** A batch checked and ready to store: what every backend's `append` starts from. */
export interface PreparedAppend {
  /** New objects, one per input, without the attributes the log assigns. */
  readonly events: HeraldEvent[];
  readonly stream: string | undefined;
  readonly expectedVersion: ExpectedVersion;
}

function toEvent(input: unknown): HeraldEvent {
  // A full event carries `specversion`; anything else is an `EventInit` whose id, source and time
  // are filled. Non-objects go to validateEvent, which reports them as INVALID_EVENT.
  const full = typeof input !== 'object' || input === null || 'specversion' in input;
  const event = (
    full ? validateEvent(input) : createEvent(input as AppendInput & { type: string })
  ) as Record<string, unknown>;
  validateType(event.type as string);
  // Where an event is stored is the log's to say: values a caller passes (say, an event read from
  // another log) are dropped rather than trusted.
  delete event.position;
  delete event.recordedat;
  delete event.stream;
  delete event.version;
  return event as HeraldEvent;
}

/**
 * Validates a whole batch before anything is stored, so an invalid event fails the batch:
 * `INVALID_EVENT` for an envelope that breaks CloudEvents or Herald rules, `INVALID_TYPE` for a
 * type outside the subject grammar (as `publish` reports it), each with `details.index` naming
 * the element. `EventInit` inputs get their id, source and time filled (`createEvent`); inputs
 * with a `specversion` are full events (`validateEvent`). `position`, `recordedat`, `stream` and
 * `version` given in an input are dropped: the log assigns them. Options: `stream` must be a
 * non-empty name; an `expectedVersion` other than `'any'` needs a `stream` (`INVALID_OPTION`).
 *
 * @example
 * ```ts
 * const { events, stream, expectedVersion } = prepareAppend(inputs, options);
 * ```
 */
export function prepareAppend(inputs: readonly AppendInput[], options: AppendOptions = {}): PreparedAppend {
  if (!Array.isArray(inputs)) {
    throw new HeraldError('INVALID_EVENT', 'append takes an array of events', {
      details: { attribute: null, rule: 'array' },
    });
  }
  const stream = options.stream === undefined ? undefined : checkName('stream', options.stream);
  const expectedVersion = checkExpectedVersionOption(options.expectedVersion ?? 'any');
  if (stream === undefined && expectedVersion !== 'any') {
    throw invalidOption('expectedVersion', expectedVersion, "'any' when no stream is given");
  }
  const events = inputs.map((input: unknown, index) => {
    try {
      return toEvent(input);
    } catch (err) {
      if (!(err instanceof HeraldError)) throw err;
      throw new HeraldError(err.code, `event ${index} of the batch: ${err.message}`, {
        cause: err,
        details: { ...err.details, index },
      });
    }
  });
  return { events, stream, expectedVersion };
}
