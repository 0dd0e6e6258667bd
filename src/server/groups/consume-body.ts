import type { FastifyRequest } from 'fastify';
import { validatePattern } from '../../subject/subject.js';
import { invalidField, jsonObjectBody } from '../routes/json-body.js';

/** Deliveries one pull may ask for. */
export const MAX_PULL = 1_000;
/** The longest a pull may wait for a delivery. */
export const MAX_WAIT_MS = 30_000;
/** The longest ack wait a pull may set (a receipt is held that long). */
export const MAX_ACK_WAIT_MS = 86_400_000;
/** Receipts one ack or nack may name. */
export const MAX_RECEIPTS = 1_000;
/** The longest nack delay. */
export const MAX_DELAY_MS = 86_400_000;
/** The longest error text a nack may keep. */
const MAX_ERROR_CHARS = 4_096;

/** A pull request, checked. */
export interface PullBody {
  types?: string[];
  max: number;
  waitMs: number;
  ackWaitMs?: number;
  maxDeliveries?: number;
  startAt?: 'start' | 'end' | number;
}

/** A `PATCH /v1/groups/{name}` body, checked: the options to change. */
export interface GroupUpdateBody {
  types?: string[];
  ackWaitMs?: number;
  maxDeliveries?: number;
  backoff?: number[];
}

/** An ack or nack request, checked. */
export interface SettleBody {
  receipts: string[];
  delayMs?: number;
  error?: string;
  deadLetter?: boolean;
}

/**
 * The body of `POST /v1/groups/{name}/pull`: no body or `{}` takes every default. Throws
 * `INVALID_QUERY` naming the field (`INVALID_PATTERN` for a bad type pattern).
 *
 * @example
 * ```ts
 * const { max, waitMs, types } = pullBody(request);
 * ```
 */
export function pullBody(request: FastifyRequest): PullBody {
  const body = objectBody(
    request,
    ['types', 'max', 'waitMs', 'ackWaitMs', 'maxDeliveries', 'startAt'],
    '{"types": ["orders.>"], "max": 10, "waitMs": 5000}',
  );
  const out: PullBody = {
    max: integerField(body, 'max', 1, MAX_PULL) ?? 1,
    waitMs: integerField(body, 'waitMs', 0, MAX_WAIT_MS) ?? 0,
  };
  const ackWaitMs = integerField(body, 'ackWaitMs', 1, MAX_ACK_WAIT_MS);
  if (ackWaitMs !== undefined) out.ackWaitMs = ackWaitMs;
  const maxDeliveries = integerField(body, 'maxDeliveries', 1, Number.MAX_SAFE_INTEGER);
  if (maxDeliveries !== undefined) out.maxDeliveries = maxDeliveries;
  const types = typesField(body);
  if (types !== undefined) out.types = types;
  const { startAt } = body;
  if (startAt !== undefined) {
    if (
      startAt !== 'start' &&
      startAt !== 'end' &&
      !(Number.isSafeInteger(startAt) && (startAt as number) >= 1)
    ) {
      throw bad(
        'startAt',
        `startAt must be "start", "end" or a position of 1 or more, got ${shown(startAt)}`,
        startAt,
      );
    }
    out.startAt = startAt as PullBody['startAt'] & {};
  }
  return out;
}

/**
 * The body of `PATCH /v1/groups/{name}`: at least one of `types`, `ackWaitMs`, `maxDeliveries`,
 * `backoff`. Throws `INVALID_QUERY` naming the field (`INVALID_PATTERN` for a bad type pattern).
 *
 * @example
 * ```ts
 * const { types } = groupUpdateBody(request); // { types: ['orders.>'] }
 * ```
 */
export function groupUpdateBody(request: FastifyRequest): GroupUpdateBody {
  const body = objectBody(
    request,
    ['types', 'ackWaitMs', 'maxDeliveries', 'backoff'],
    '{"types": ["orders.>"], "ackWaitMs": 30000}',
  );
  const out: GroupUpdateBody = {};
  const types = typesField(body);
  if (types !== undefined) out.types = types;
  const ackWaitMs = integerField(body, 'ackWaitMs', 1, MAX_ACK_WAIT_MS);
  if (ackWaitMs !== undefined) out.ackWaitMs = ackWaitMs;
  const maxDeliveries = integerField(body, 'maxDeliveries', 1, Number.MAX_SAFE_INTEGER);
  if (maxDeliveries !== undefined) out.maxDeliveries = maxDeliveries;
  if (body.backoff !== undefined) {
    const { backoff } = body;
    if (
      !Array.isArray(backoff) ||
      backoff.length === 0 ||
      backoff.length > 100 ||
      !backoff.every((d) => Number.isSafeInteger(d) && (d as number) >= 0 && (d as number) <= MAX_DELAY_MS)
    ) {
      throw bad('backoff', `backoff must be 1 to 100 delays in ms, each from 0 to ${MAX_DELAY_MS}`, backoff);
    }
    out.backoff = backoff as number[];
  }
  if (Object.keys(out).length === 0) {
    throw bad('body', 'send at least one of types, ackWaitMs, maxDeliveries, backoff', null);
  }
  return out;
}

function typesField(body: Record<string, unknown>): string[] | undefined {
  const types = body.types;
  if (types === undefined) return undefined;
  if (!Array.isArray(types) || types.length === 0 || types.length > 100) {
    throw bad('types', 'types must be an array of 1 to 100 type patterns', types);
  }
  for (const pattern of types) {
    if (typeof pattern !== 'string') throw bad('types', 'types must be strings (type patterns)', pattern);
    validatePattern(pattern);
  }
  return types as string[];
}

/**
 * The body of an ack (`{ receipts }`) or, with `nack`, of a nack (`{ receipts, delayMs?, error?,
 * deadLetter? }`). Throws `INVALID_QUERY` naming the field.
 *
 * @example
 * ```ts
 * const { receipts } = settleBody(request, false);
 * ```
 */
export function settleBody(request: FastifyRequest, nack: boolean): SettleBody {
  const fields = nack ? ['receipts', 'delayMs', 'error', 'deadLetter'] : ['receipts'];
  const body = objectBody(request, fields, '{"receipts": ["<receipt>"]}');
  const { receipts } = body;
  if (!Array.isArray(receipts) || receipts.length === 0 || receipts.length > MAX_RECEIPTS) {
    throw bad('receipts', `receipts must be an array of 1 to ${MAX_RECEIPTS} receipts`, receipts);
  }
  for (const receipt of receipts) {
    if (typeof receipt !== 'string' || receipt.length === 0 || receipt.length > 200) {
      throw bad('receipts', `receipts must be the strings a pull returned, got ${shown(receipt)}`, receipt);
    }
  }
  const out: SettleBody = { receipts: receipts as string[] };
  const delayMs = integerField(body, 'delayMs', 0, MAX_DELAY_MS);
  if (delayMs !== undefined) out.delayMs = delayMs;
  if (body.error !== undefined) {
    if (typeof body.error !== 'string' || body.error.length > MAX_ERROR_CHARS) {
      throw bad('error', `error must be a string of at most ${MAX_ERROR_CHARS} characters`, body.error);
    }
    out.error = body.error;
  }
  if (body.deadLetter !== undefined) {
    if (typeof body.deadLetter !== 'boolean') {
      throw bad(
        'deadLetter',
        `deadLetter must be true or false, got ${shown(body.deadLetter)}`,
        body.deadLetter,
      );
    }
    out.deadLetter = body.deadLetter;
  }
  return out;
}

/** The JSON object of a body (`{}` for no body): see `jsonObjectBody`. */
function objectBody(
  request: FastifyRequest,
  fields: readonly string[],
  example: string,
): Record<string, unknown> {
  return jsonObjectBody(request, fields, example) ?? {};
}

function integerField(
  body: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw bad(name, `${name} must be an integer from ${min} to ${max}, got ${shown(value)}`, value);
  }
  return value as number;
}

function shown(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const bad = invalidField;
