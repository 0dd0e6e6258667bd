/**
 * Pattern matching throughput: Herald's SubjectIndex against qlobber, the trie matcher a user
 * would otherwise pick (it backs Aedes' MQTT routing), on the same patterns and types.
 */
import { createRequire } from 'node:module';
import { SubjectIndex } from '../src/subject/index.js';
import { measure, printTable } from './harness.js';
import { seededRandom } from '../src/testing/seeded-random.js';

interface QlobberLike {
  add(topic: string, value: unknown): unknown;
  match(topic: string): unknown[];
}
interface QlobberModule {
  Qlobber: new (options: { separator: string; wildcard_one: string; wildcard_some: string }) => QlobberLike;
}
// qlobber ships CommonJS without type declarations; a local shape keeps tsc strict without a stub package.
const { Qlobber } = createRequire(import.meta.url)('qlobber') as QlobberModule;

const PATTERNS = 10_000;
const MATCHES = 200_000;
/**
 * Distinct types published: an application's event catalogue. It fits the default cache (1024), so
 * once warm every default-cache match is a hit; the cacheSize 0 row shows the other extreme, where
 * types are too many to cache and every match walks the trie.
 */
const CATALOGUE = 1_000;

// Token vocabulary per position: domain, region, entity, action, variant.
const VOCAB: readonly (readonly string[])[] = [
  ['orders', 'payments', 'users', 'inventory', 'shipping', 'billing', 'auth', 'catalog', 'search', 'alerts'],
  ['eu', 'us', 'apac', 'latam', 'mena', 'uk', 'jp', 'ca'],
  ['order', 'invoice', 'customer', 'product', 'cart', 'session', 'refund', 'shipment', 'coupon', 'ticket'],
  ['created', 'updated', 'deleted', 'failed', 'completed', 'cancelled', 'retried', 'expired'],
  ['v1', 'v2', 'v3', 'internal', 'external', 'test'],
];

function makePatterns(random: () => number): string[] {
  const pick = (k: number): string => VOCAB[k]![Math.floor(random() * VOCAB[k]!.length)]!;
  const patterns: string[] = [];
  for (let p = 0; p < PATTERNS; p++) {
    const tokens: string[] = [];
    if (random() < 0.1) {
      // `>` after a prefix of 2-3 tokens (`orders.eu.>`). Every type has at least 4 tokens, so `>`
      // always has a token left to match: qlobber's `>` matches zero or more words where NATS's
      // matches one or more, and this keeps both returning exactly the same matches.
      const prefix = 2 + Math.floor(random() * 2);
      for (let k = 0; k < prefix; k++) tokens.push(k > 0 && random() < 0.3 ? '*' : pick(k));
      tokens.push('>');
    } else {
      const length = 4 + Math.floor(random() * 2);
      for (let k = 0; k < length; k++) tokens.push(k > 0 && random() < 0.25 ? '*' : pick(k));
    }
    patterns.push(tokens.join('.'));
  }
  return patterns;
}

function makeTypes(random: () => number, catalogueSize: number): string[] {
  const catalogue: string[] = [];
  for (let c = 0; c < catalogueSize; c++) {
    const length = 4 + Math.floor(random() * 2);
    const tokens: string[] = [];
    for (let k = 0; k < length; k++) tokens.push(VOCAB[k]![Math.floor(random() * VOCAB[k]!.length)]!);
    catalogue.push(tokens.join('.'));
  }
  return Array.from({ length: MATCHES }, () => catalogue[Math.floor(random() * catalogueSize)]!);
}

/**
 * Prints two tables of matches per second, 10,000 patterns (3-5 tokens, with `*` and `>`) against
 * 200,000 types (4-5 tokens): first drawn from a catalogue of 1,000 types (an application's
 * events: they fit the default cache), then drawn uniformly from all 44,800 possible types (about
 * 2% cache hits: the trie does nearly all the work). Rows: Herald with its default cache, Herald
 * with no cache (the raw trie), and qlobber.
 *
 * @example
 * ```ts
 * await runMatchBench();
 * ```
 */
export async function runMatchBench(): Promise<void> {
  const random = seededRandom(0x5eed);
  const patterns = makePatterns(random);
  await matchTable(
    patterns,
    makeTypes(random, CATALOGUE),
    `types from a catalogue of ${CATALOGUE.toLocaleString('en')}`,
  );
  await matchTable(patterns, makeTypes(random, MATCHES), 'random types from the whole space');
}

async function matchTable(
  patterns: readonly string[],
  types: readonly string[],
  label: string,
): Promise<void> {
  const cached = new SubjectIndex<number>();
  const trie = new SubjectIndex<number>({ cacheSize: 0 });
  const qlobber = new Qlobber({ separator: '.', wildcard_one: '*', wildcard_some: '>' });
  patterns.forEach((pattern, i) => {
    cached.add(pattern, i);
    trie.add(pattern, i);
    qlobber.add(pattern, i);
  });

  // Each run returns the total number of matches: it keeps the work observable (not dead code)
  // and proves the three did the same matching.
  const runs = {
    cached: (): number => {
      let total = 0;
      for (const type of types) total += cached.match(type).length;
      return total;
    },
    trie: (): number => {
      let total = 0;
      for (const type of types) total += trie.match(type).length;
      return total;
    },
    qlobber: (): number => {
      let total = 0;
      for (const type of types) total += qlobber.match(type).length;
      return total;
    },
  };
  const totals = [runs.cached(), runs.trie(), runs.qlobber()];
  if (new Set(totals).size !== 1) throw new Error(`match counts differ: ${totals.join(' / ')}`);

  const herald = 'herald SubjectIndex (default cache, 1,024 types)';
  const perType = (totals[0]! / MATCHES).toFixed(1);
  printTable(
    `match: ${PATTERNS.toLocaleString('en')} patterns, ${MATCHES.toLocaleString('en')} ${label} (${perType} matches per type)`,
    [
      { name: herald, perSecond: await measure(MATCHES, runs.cached) },
      { name: 'herald SubjectIndex (cacheSize 0: trie only)', perSecond: await measure(MATCHES, runs.trie) },
      { name: 'qlobber 8', perSecond: await measure(MATCHES, runs.qlobber) },
    ],
    herald,
  );
}
