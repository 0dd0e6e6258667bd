import { describe, expect, it } from 'vitest';
import { HeraldError } from '../errors/herald-error.js';
import { CONFIG_KEYS } from '../server/config/config-keys.js';
import { loadConfig } from '../server/config/load-config.js';
import { BACKENDS, backendFor, knownTargets } from './registry.js';

describe('the backend registry', () => {
  // Every `log` value `herald serve` took before the registry, and the backend it opened.
  it.each([
    ['sqlite', 'sqlite'],
    ['memory', 'memory'],
    ['postgres://herald@db:5432/herald', 'postgres'],
    ['postgresql://db/herald', 'postgres'],
    ['redis://herald:hunter2@db:6379/0', 'redis'],
    ['rediss://db:6380', 'redis'],
    ['nats://localhost:4222', 'nats'],
    ['tls://nats.example:4222', 'nats'],
  ])('resolves %s to the %s backend', (value, name) => {
    expect(backendFor(value)?.name).toBe(name);
    expect(loadConfig({ flags: { log: value }, env: {} }).config.log).toBe(value);
  });

  it.each(['mysql://db', 'mysql', 'redis:6379', 'postgres', 'http://db', 'SQLITE', ''])(
    'selects no backend for %j',
    (value) => {
      expect(backendFor(value)).toBeUndefined();
    },
  );

  it('refuses an unknown scheme, naming it and the known ones, without the password', () => {
    let error: unknown;
    try {
      loadConfig({ flags: { log: 'mysql://app:s3cret@db:3306/shop' }, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HeraldError);
    const { code, message, details } = error as HeraldError;
    expect(code).toBe('INVALID_CONFIG');
    expect(message).toBe(
      'invalid config: log (from --log) must be sqlite, memory, or a postgres://, postgresql://, redis://, ' +
        'rediss://, nats:// or tls:// URL, got mysql://app:***@db:3306/shop (no backend has the scheme mysql:)',
    );
    expect(details).toMatchObject({ key: 'log', source: '--log', scheme: 'mysql' });
    expect((details as { known: string[] }).known).toEqual([
      'sqlite',
      'memory',
      'postgres://',
      'postgresql://',
      'redis://',
      'rediss://',
      'nats://',
      'tls://',
    ]);
    expect(() => loadConfig({ env: { HERALD_LOG: 'nats:/x' } })).toThrow(
      'invalid config: log (from HERALD_LOG) must be sqlite, memory, or a postgres://',
    );
  });

  it('gives every name and scheme to one backend only', () => {
    const { names, schemes } = knownTargets();
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(schemes).size).toBe(schemes.length);
    expect(new Set(BACKENDS.map((b) => b.name)).size).toBe(BACKENDS.length);
  });

  it("makes each backend's settings config keys of its own section, apart from the hub's", () => {
    const backendKeys = CONFIG_KEYS.filter((k) => BACKENDS.some((b) => k.key.startsWith(`${b.name}.`)));
    expect(backendKeys.map((k) => k.key)).toEqual([
      'sqlite.durability',
      'postgres.schema',
      'redis.prefix',
      'nats.stream',
      'nats.subjectPrefix',
    ]);
    // A backend named like a hub setting would take that setting's section.
    const hubKeys = CONFIG_KEYS.filter((k) => !backendKeys.includes(k)).map((k) => k.key.split('.')[0]);
    for (const b of BACKENDS) expect(hubKeys).not.toContain(b.name);
    const { config } = loadConfig({ env: { HERALD_NATS__STREAM: 'ORDERS' }, flags: { durability: 'os' } });
    expect(config.backends).toEqual({
      sqlite: { durability: 'os' },
      memory: {},
      postgres: { schema: 'herald' },
      redis: { prefix: 'herald' },
      nats: { stream: 'ORDERS', subjectPrefix: 'herald' },
    });
  });
});
