import { HeraldError } from '../../errors/herald-error.js';

/** The first value of a header or query parameter that may repeat. */
export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Parses a decimal integer in [min, max], or throws `INVALID_QUERY` naming the parameter. */
export function integer(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new HeraldError(
      'INVALID_QUERY',
      `${name} must be an integer from ${min} to ${max}, got "${value}"`,
      {
        details: { parameter: name, value },
      },
    );
  }
  return n;
}

/** A comma-separated list of patterns (`types=orders.>,payments.*`), empty entries dropped. */
export function patternList(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}
