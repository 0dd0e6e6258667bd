import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** The Lua scripts of the log, one per operation, in `./lua/<name>.lua`. */
export type ScriptName =
  | 'append'
  | 'delete'
  | 'locate-time'
  | 'open-group'
  | 'pull'
  | 'ack'
  | 'nack'
  | 'redrive'
  | 'purge'
  | 'group-info'
  | 'group-status'
  | 'group-pending'
  | 'schedule-add'
  | 'schedule-claim'
  | 'schedule-complete'
  | 'schedule-cancel'
  | 'schedule-list'
  | 'schedule-next';

const NAMES: readonly ScriptName[] = [
  'append',
  'delete',
  'locate-time',
  'open-group',
  'pull',
  'ack',
  'nack',
  'redrive',
  'purge',
  'group-info',
  'group-status',
  'group-pending',
  'schedule-add',
  'schedule-claim',
  'schedule-complete',
  'schedule-cancel',
  'schedule-list',
  'schedule-next',
];

interface Script {
  readonly text: string;
  readonly sha: string;
}

let cache: Map<ScriptName, Script> | undefined;

function scripts(): Map<ScriptName, Script> {
  cache ??= new Map(
    NAMES.map((name) => {
      // `scripts/copy-assets.js` puts the .lua files beside the compiled JavaScript.
      const text = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
      return [name, { text, sha: createHash('sha1').update(text).digest('hex') }];
    }),
  );
  return cache;
}

/**
 * Runs the log's Lua scripts by hash (EVALSHA). They are loaded once (SCRIPT LOAD at open); a
 * server that forgot them (a restart, SCRIPT FLUSH) answers NOSCRIPT, and the script is loaded
 * again and the call repeated.
 *
 * @example
 * ```ts
 * const scripts = new ScriptRunner(client);
 * await scripts.load();
 * await scripts.run('ack', [due, counts, tokens, errors], ['12']);
 * ```
 */
export class ScriptRunner {
  readonly #client: Redis;

  constructor(client: Redis) {
    this.#client = client;
  }

  /** SCRIPT LOAD of every script, in one round trip. */
  async load(): Promise<void> {
    const pipeline = this.#client.pipeline();
    for (const script of scripts().values()) pipeline.script('LOAD', script.text);
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  async run(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const script = scripts().get(name)!;
    try {
      return await this.#client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await this.#client.script('LOAD', script.text);
      return this.#client.evalsha(script.sha, keys.length, ...keys, ...args);
    }
  }
}
