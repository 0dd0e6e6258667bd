import type { Parameters } from 'fast-check';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError } from '../../../src/errors/herald-error.js';
import { sendError } from '../../../src/server/http-errors.js';

/**
 * The seed of every fuzz file: fixed, so a run is reproducible; `HERALD_FUZZ_SEED` picks another
 * and `HERALD_FUZZ_SCALE` multiplies the runs (for a longer hunt by hand).
 */
export const FUZZ_SEED = Number(process.env.HERALD_FUZZ_SEED ?? 20_260_522);
const SCALE = Number(process.env.HERALD_FUZZ_SCALE ?? 1);

/**
 * fast-check parameters: the fixed seed and `numRuns` (times `HERALD_FUZZ_SCALE`). On failure
 * fast-check's message starts with `{ seed, path }`: rerun with `HERALD_FUZZ_SEED=<seed>`.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(fc.string(), (s) => check(s)), fuzzParams(500));
 * ```
 */
export function fuzzParams<T>(numRuns: number): Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * SCALE)) };
}

/**
 * The HTTP status the hub answers for `error`, from its own error handler (`sendError`).
 *
 * @example
 * ```ts
 * httpStatusOf(new HeraldError('INVALID_EVENT', 'bad')); // 400
 * ```
 */
export function httpStatusOf(error: HeraldError): number {
  let status = 0;
  const reply = {
    status(code: number) {
      status = code;
      return reply;
    },
    send: () => reply,
  };
  const request = { log: { error: () => undefined } };
  sendError(error, request as unknown as FastifyRequest, reply as unknown as FastifyReply);
  return status;
}

/**
 * Runs `fn`; passes when it returns, or throws a `HeraldError` the hub answers with a 4xx.
 * Anything else (a TypeError, a RangeError, a 5xx code) fails with what was thrown.
 *
 * @example
 * ```ts
 * expectClientErrorOrValue(() => parseStructured(text));
 * ```
 */
export function expectClientErrorOrValue<T>(fn: () => T): { value: T } | { error: HeraldError } {
  let value: T;
  try {
    value = fn();
  } catch (error) {
    if (!(error instanceof HeraldError))
      throw new Error(`not a HeraldError: ${String(error)}`, { cause: error });
    const status = httpStatusOf(error);
    if (status < 400 || status > 499)
      throw new Error(`${error.code} maps to ${status}, not a 4xx`, { cause: error });
    return { error };
  }
  return { value };
}
