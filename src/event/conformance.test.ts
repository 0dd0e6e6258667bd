/**
 * The CloudEvents JSON format conformance data (github.com/cloudevents/conformance, format/json),
 * read from the shared `external-cases` folder next to the repository, never copied into it.
 * Known quirks of that data are described in `../shared/external-cases/README.md`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HeraldError } from '../errors/index.js';
import { parseBatch, parseStructured, toBatch, toStructured } from './structured.js';
import { timestampMillis } from './timestamp.js';
import type { HeraldEvent } from './types.js';

type TestType = 'ValidSingleEvent' | 'ValidBatch' | 'InvalidSingleEvent' | 'InvalidBatch';

interface ConformanceTest {
  id: string;
  testType?: TestType;
  sampleId?: string;
  description?: string;
  event?: unknown;
  batch?: unknown[];
  sampleExtensionAttributes?: boolean;
  extensionConstraints?: boolean;
}

interface ConformanceFile {
  testType: TestType;
  tests: ConformanceTest[];
}

// The repository is cloned next to `shared/` (as `<parent>/main`, `<parent>/check`, ...), so the
// data is found from the repository root whatever the clone is called.
const repoRoot = new URL('../../', import.meta.url);
const dataDir = new URL('../shared/external-cases/cloudevents-conformance/format/json/', repoRoot);
const FILES = ['valid-events.json', 'invalid-events.json', 'valid-batches.json', 'invalid-batches.json'];

// "Golden" sample events, written in code as format/README.md asks. `allExtensionTypes` keeps its
// values as JSON types: Herald passes unknown extensions through without a type registry (see the
// external-cases README), so `extbinary` stays the string "TWE=".
const minimal = {
  specversion: '1.0',
  id: 'minimal',
  type: 'io.cloudevents.test',
  source: 'https://cloudevents.io',
};
const allCore = {
  ...minimal,
  id: 'allCore',
  datacontenttype: 'text/plain',
  dataschema: 'https://cloudevents.io/dataschema',
  subject: 'tests',
  time: '2018-04-05T17:31:00Z',
};
const allExtensionTypes = {
  ...minimal,
  id: 'allExtensionTypes',
  extinteger: 10,
  extboolean: true,
  extstring: 'text',
  extbinary: 'TWE=',
  exttimestamp: '2023-03-31T15:12:00Z',
  exturi: 'https://cloudevents.io',
  exturiref: '//authority/path',
};
const SAMPLE_EVENTS: Record<string, Record<string, unknown>> = {
  minimal,
  minimalWithTime: { ...minimal, id: 'minimalWithTime', time: '2018-04-05T17:31:00Z' },
  minimalWithRelativeSource: { ...minimal, id: 'minimalWithRelativeSource', source: '#fragment' },
  allCore,
  // format/README.md says id "simpleData"; the test data says "simpleTextData". The data wins.
  simpleTextData: { ...minimal, id: 'simpleTextData', datacontenttype: 'text/plain', data: 'Simple text' },
  allExtensionTypes,
};
const SAMPLE_BATCHES: Record<string, Record<string, unknown>[]> = {
  empty: [],
  minimal: [minimal],
  minimal2: [minimal, minimal],
  minimalAndAllCore: [minimal, allCore],
  minimalAndAllExtensionTypes: [minimal, allExtensionTypes],
};

// The attribute each invalid case must be rejected for (details.attribute; null when the problem
// is the element as a whole) and, for batches, the index of the bad element.
const INVALID_EVENTS: Record<string, string> = {
  invalidNoSpecVersion: 'specversion',
  invalidNoId: 'id',
  invalidNoType: 'type',
  invalidNoSource: 'source',
  invalidTimeGarbage: 'time',
  invalidTimeToMinute: 'time',
  invalidTimeOffsetX: 'time',
  invalidTimeOffsetOutOfRange: 'time',
  invalidTimeOffsetNonInteger: 'time',
  invalidTimeOffsetHourOnly: 'time',
  invalidEmptyId: 'id',
  invalidEmptyType: 'type',
  invalidEmptySource: 'source',
  invalidEmptySpecVersion: 'specversion',
  invalidUnknownSpecVersion: 'specversion',
  invalidNonRfc2046DataContentType: 'datacontenttype',
  invalidEmptyDataContentType: 'datacontenttype',
  invalidEmptyDataSchema: 'dataschema',
  invalidEmptySubject: 'subject',
  invalidNumericId: 'id',
  invalidObjectId: 'id',
  invalidCapitalizedExtension: 'MyExtension',
  invalidPunctuatedExtension: 'my.extension',
  // Upstream quirk: the name "my.extension" is itself invalid, so the name is what gets reported;
  // validate-event.test.ts covers the non-integer value under a valid name.
  invalidNonIntegerExtensionValue: 'my.extension',
  invalidBothDataAndDataBase64: 'data_base64',
};
const INVALID_BATCHES: Record<string, { index: number; attribute: string | null }> = {
  invalidBatchMixedSpecVersions: { index: 1, attribute: 'specversion' },
  invalidBatchContainingInvalidCloudEvent: { index: 0, attribute: 'id' },
  invalidBatchContainingNonObject: { index: 0, attribute: null },
};

/** Timestamps compare as instants, not strings (format/README.md: offset and precision do not matter). */
function comparable(event: Record<string, unknown>): Record<string, unknown> {
  return typeof event.time === 'string' ? { ...event, time: timestampMillis(event.time) } : event;
}

function withoutNulls(event: unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(event as Record<string, unknown>).filter(
      ([name, value]) => value !== null || name === 'data',
    ),
  );
}

function rejection(fn: () => unknown): HeraldError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HeraldError);
    expect((err as HeraldError).code).toBe('INVALID_EVENT');
    return err as HeraldError;
  }
  return expect.fail('expected the input to be rejected with INVALID_EVENT');
}

function expectRoundTrip(parsed: HeraldEvent, input: unknown): void {
  expect(parseStructured(toStructured(parsed))).toStrictEqual(parsed);
  expect(parsed).toStrictEqual(withoutNulls(input));
}

const missing = !existsSync(dataDir);

if (missing) {
  const reason = `CloudEvents conformance data not found at ${fileURLToPath(dataDir)}`;
  if (process.env.CI === 'true') {
    it('finds the CloudEvents conformance data', () => {
      expect.fail(`${reason} (required under CI=true)`);
    });
  } else {
    console.warn(`skipping CloudEvents conformance: ${reason}`);
    it.skip(`CloudEvents conformance (skipped: ${reason})`, () => undefined);
  }
} else {
  const suites = FILES.map((file) => ({
    file,
    data: JSON.parse(readFileSync(new URL(file, dataDir), 'utf8')) as ConformanceFile,
  }));
  const tests = suites.flatMap(({ data }) =>
    data.tests.map((test) => ({ ...test, testType: test.testType ?? data.testType })),
  );
  const byType = (type: TestType): ConformanceTest[] => tests.filter((test) => test.testType === type);

  describe('CloudEvents JSON format conformance', () => {
    it('has an expectation for every invalid case in the data, and no stale ones', () => {
      expect(
        byType('InvalidSingleEvent')
          .map((t) => t.id)
          .sort(),
      ).toEqual(Object.keys(INVALID_EVENTS).sort());
      expect(
        byType('InvalidBatch')
          .map((t) => t.id)
          .sort(),
      ).toEqual(Object.keys(INVALID_BATCHES).sort());
      expect(byType('ValidSingleEvent').length).toBeGreaterThan(0);
      expect(byType('ValidBatch').length).toBeGreaterThan(0);
    });

    describe.each(byType('ValidSingleEvent'))('valid event $id', (test) => {
      it('is accepted as parsed JSON and as text, and equals its golden sample', () => {
        const parsed = parseStructured(test.event);
        expect(parseStructured(JSON.stringify(test.event))).toStrictEqual(parsed);
        const sample = SAMPLE_EVENTS[test.sampleId!];
        expect(sample, `golden sample ${test.sampleId}`).toBeDefined();
        expect(comparable(parsed)).toStrictEqual(comparable(sample!));
      });

      it('round-trips through toStructured unchanged, minus null attributes', () => {
        expectRoundTrip(parseStructured(test.event), test.event);
      });
    });

    describe.each(byType('ValidBatch'))('valid batch $id', (test) => {
      it('is accepted and equals its golden sample batch', () => {
        const parsed = parseBatch(test.batch);
        expect(parseBatch(JSON.stringify(test.batch))).toStrictEqual(parsed);
        const sample = SAMPLE_BATCHES[test.sampleId!];
        expect(sample, `golden sample batch ${test.sampleId}`).toBeDefined();
        expect(parsed.map(comparable)).toStrictEqual(sample!.map(comparable));
      });

      it('round-trips through toBatch unchanged', () => {
        const parsed = parseBatch(test.batch);
        expect(parseBatch(toBatch(parsed))).toStrictEqual(parsed);
        parsed.forEach((event, i) => {
          expectRoundTrip(event, test.batch![i]);
        });
      });
    });

    describe.each(byType('InvalidSingleEvent'))('invalid event $id', (test) => {
      it(`is rejected naming attribute "${INVALID_EVENTS[test.id] ?? '?'}"`, () => {
        const attribute = INVALID_EVENTS[test.id];
        for (const input of [test.event, JSON.stringify(test.event)]) {
          const err = rejection(() => parseStructured(input));
          expect(err.details.attribute).toBe(attribute);
          expect(err.message).toContain(`attribute ${JSON.stringify(attribute)}`);
        }
      });
    });

    describe.each(byType('InvalidBatch'))('invalid batch $id', (test) => {
      it('is rejected naming the element and the attribute', () => {
        const expected = INVALID_BATCHES[test.id];
        for (const input of [test.batch, JSON.stringify(test.batch)]) {
          const err = rejection(() => parseBatch(input));
          expect(err.details).toMatchObject({ index: expected?.index, attribute: expected?.attribute });
          expect(err.message).toContain(`element ${expected?.index}`);
        }
      });
    });
  });
}
