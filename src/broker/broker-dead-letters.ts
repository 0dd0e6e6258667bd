import { HeraldError } from '../errors/herald-error.js';
import type { ConsumerGroup } from '../log/types.js';
import { matchesPattern, validatePattern } from '../subject/subject.js';
import type { DeadLetter, DeadLetterFilter, DeadLetters, DeadLetterStore } from './dead-letters.js';
import type { DurableMarks } from './durable-marks.js';
import { formatStoredError, parseStoredError, summarizeError } from './stored-error.js';

/** A durable group as the dead-letter view needs it. */
export interface DurableGroupRef {
  readonly group: string;
  readonly consumer: Promise<ConsumerGroup>;
}

/**
 * `broker.deadLetters`: the in-memory store of in-process subscriptions, plus each durable
 * group's dead letters in the log, behind one async interface. Durable entries are named
 * `group@position`, their subscription is the group. Their error is the thrown value's summary
 * when a member of this broker dead-lettered them (the value is the `cause`), else read back from
 * the string the log keeps (which is then the `cause`).
 */
export class BrokerDeadLetters implements DeadLetters {
  constructor(
    private readonly memory: DeadLetterStore,
    private readonly durables: () => Iterable<DurableGroupRef>,
    private readonly marks: DurableMarks,
  ) {}

  async list(filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    if (typeof filter === 'string') {
      const one = await this.get(filter);
      return one ? [one] : [];
    }
    if (filter?.type !== undefined) validatePattern(filter.type);
    const out = this.memory.select(filter);
    for (const ref of this.groupsFor(filter)) {
      const consumer = await ref.consumer;
      for (const d of await consumer.deadLetters()) {
        if (filter?.type !== undefined && !matchesPattern(filter.type, d.event.type)) continue;
        // The remembered value only while the log still holds the error it was stored as (the
        // event may have been redriven elsewhere and failed again since).
        const remembered = this.marks.cause(ref.group, d.event.position);
        const known =
          this.marks.hasCause(ref.group, d.event.position) && formatStoredError(remembered) === d.error;
        const cause = known ? remembered : d.error;
        out.push({
          id: `${ref.group}@${d.event.position}`,
          event: d.event,
          error: known ? summarizeError(cause) : parseStoredError(d.error),
          cause,
          attempts: d.deliveries,
          subscription: ref.group,
          group: ref.group,
          at: d.at,
        });
      }
    }
    return out;
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    if (this.memory.has(id)) return this.memory.select(id)[0];
    const durable = this.parse(id);
    if (!durable) return undefined;
    const all = await this.list({ subscription: durable.ref.group });
    return all.find((d) => d.id === id);
  }

  async redrive(filter?: DeadLetterFilter): Promise<number> {
    if (typeof filter === 'string') {
      if (this.memory.has(filter)) return this.memory.redrive(filter);
      const durable = this.parse(filter);
      const n = durable ? await this.redriveDurable(durable.ref, [durable.position]) : 0;
      if (n === 0) throw notFound(filter);
      return n;
    }
    let n = await this.memory.redrive(filter);
    for (const ref of this.groupsFor(filter)) {
      const positions = await this.durablePositions(await ref.consumer, filter);
      if (positions.length > 0) n += await this.redriveDurable(ref, positions);
    }
    return n;
  }

  /** Marked first: a member may pull a redriven event before `redrive` resolves. */
  private async redriveDurable(ref: DurableGroupRef, positions: number[]): Promise<number> {
    const consumer = await ref.consumer;
    this.marks.markRedriven(ref.group, positions);
    const n = await consumer.redrive(positions);
    this.marks.forget(ref.group, positions);
    await this.recount(ref.group, consumer);
    return n;
  }

  private async purgeDurable(ref: DurableGroupRef, positions: number[]): Promise<number> {
    const consumer = await ref.consumer;
    const n = await consumer.purge(positions);
    this.marks.forget(ref.group, positions);
    await this.recount(ref.group, consumer);
    return n;
  }

  private async recount(group: string, consumer: ConsumerGroup): Promise<void> {
    this.marks.setCount(group, (await consumer.info()).deadLetters);
  }

  async purge(filter?: DeadLetterFilter): Promise<number> {
    if (typeof filter === 'string') {
      if (this.memory.has(filter)) return this.memory.purge(filter);
      const durable = this.parse(filter);
      return durable ? this.purgeDurable(durable.ref, [durable.position]) : 0;
    }
    let n = this.memory.purge(filter);
    for (const ref of this.groupsFor(filter)) {
      const positions = await this.durablePositions(await ref.consumer, filter);
      if (positions.length > 0) n += await this.purgeDurable(ref, positions);
    }
    return n;
  }

  private groupsFor(filter: Exclude<DeadLetterFilter, string> | undefined): DurableGroupRef[] {
    const seen = new Map<string, DurableGroupRef>();
    for (const ref of this.durables()) {
      if (filter?.subscription === undefined || filter.subscription === ref.group) seen.set(ref.group, ref);
    }
    return [...seen.values()];
  }

  private async durablePositions(
    consumer: ConsumerGroup,
    filter: Exclude<DeadLetterFilter, string> | undefined,
  ): Promise<number[]> {
    const letters = await consumer.deadLetters();
    return letters
      .filter((d) => filter?.type === undefined || matchesPattern(filter.type, d.event.type))
      .map((d) => d.event.position);
  }

  private parse(id: string): { ref: DurableGroupRef; position: number } | undefined {
    const at = id.lastIndexOf('@');
    if (at <= 0) return undefined;
    const group = id.slice(0, at);
    const position = Number(id.slice(at + 1));
    const ref = [...this.durables()].find((r) => r.group === group);
    return ref && Number.isSafeInteger(position) ? { ref, position } : undefined;
  }
}

function notFound(id: string): HeraldError {
  return new HeraldError('DEAD_LETTER_NOT_FOUND', `no dead letter with id "${id}"`, { details: { id } });
}
