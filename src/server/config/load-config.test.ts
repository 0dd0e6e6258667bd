import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HeraldError } from '../../errors/herald-error.js';
import { loadConfig } from './load-config.js';
import { assertSafeBind, toServerOptions } from './to-server-options.js';
import { memoryLog } from '../../backends/memory/index.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(run: () => unknown): HeraldError {
  try {
    run();
  } catch (error) {
    if (error instanceof HeraldError) return error;
    throw error;
  }
  throw new Error('expected an INVALID_CONFIG error');
}

describe('loadConfig', () => {
  it('applies the defaults when nothing is set', () => {
    const { config, sources, file: used } = loadConfig({ env: {}, cwd: dir });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4021,
      data: './herald-data',
      log: 'sqlite',
      insecure: false,
      bodyLimit: 1_048_576,
      logLevel: 'info',
      metricsPublic: false,
      dashboard: true,
      auth: undefined,
      cors: undefined,
      rateLimit: false,
      allowIps: undefined,
      backends: { sqlite: { durability: 'fsync' }, postgres: { schema: 'herald' }, memory: {} },
      live: { keepAliveMs: 15_000, retryMs: 2_000, maxBacklog: 10_000, ringSize: 10_000 },
      groups: { maxReceipts: 100_000 },
    });
    expect(sources.get('port')).toBe('default');
    expect(used).toBeUndefined();
  });

  it('lets the file override defaults, the environment override the file, and flags override both', () => {
    const config = file('precedence.yaml', 'port: 4100\nhost: 127.0.0.2\nlogLevel: warn\nlog: memory\n');
    const env = { HERALD_PORT: '4200', HERALD_HOST: '127.0.0.3' };
    const loaded = loadConfig({ flags: { config, port: '4300' }, env, cwd: dir });
    expect(loaded.config).toMatchObject({ port: 4300, host: '127.0.0.3', logLevel: 'warn', log: 'memory' });
    expect(loaded.sources.get('port')).toBe('--port');
    expect(loaded.sources.get('host')).toBe('HERALD_HOST');
    expect(loaded.sources.get('logLevel')).toBe(`${config}:3`);
    expect(loaded.file).toBe(config);
  });

  it('reads the file named by HERALD_CONFIG, and ./herald.yaml when none is named', () => {
    const named = file('named.yaml', 'port: 4400\n');
    expect(loadConfig({ env: { HERALD_CONFIG: named }, cwd: dir }).config.port).toBe(4400);
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    writeFileSync(join(cwd, 'herald.yaml'), 'port: 4500\n');
    const loaded = loadConfig({ env: {}, cwd });
    expect(loaded.config.port).toBe(4500);
    expect(loaded.file).toBe('herald.yaml');
  });

  it('fails when the named config file does not exist, naming where it was named', () => {
    const error = failure(() => loadConfig({ env: { HERALD_CONFIG: 'missing.yaml' }, cwd: dir }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(
      'invalid config: config (from HERALD_CONFIG) names missing.yaml, which does not exist',
    );
    expect(error.details).toEqual({ key: 'config', source: 'HERALD_CONFIG' });
  });

  it('names the key and the environment variable of a bad value', () => {
    const error = failure(() => loadConfig({ env: { HERALD_LIVE__KEEP_ALIVE_MS: 'abc' }, cwd: dir }));
    expect(error.message).toBe(
      'invalid config: live.keepAliveMs (from HERALD_LIVE__KEEP_ALIVE_MS) must be a positive integer, got "abc"',
    );
    expect(error.details).toEqual({ key: 'live.keepAliveMs', source: 'HERALD_LIVE__KEEP_ALIVE_MS' });
  });

  it('names the key, the file and the line of a bad value', () => {
    const path = file('bad.yaml', 'host: 127.0.0.1\nlive:\n  retryMs: -5\n');
    const error = failure(() => loadConfig({ flags: { config: path }, env: {}, cwd: dir }));
    expect(error.message).toBe(
      `invalid config: live.retryMs (from ${path}:3) must be an integer >= 0, got -5`,
    );
    expect(error.details).toEqual({ key: 'live.retryMs', source: `${path}:3` });
  });

  it('checks a value even when a later source overrides it', () => {
    const error = failure(() =>
      loadConfig({ flags: { port: '4000' }, env: { HERALD_PORT: '99999' }, cwd: dir }),
    );
    expect(error.details).toEqual({ key: 'port', source: 'HERALD_PORT' });
  });

  it('names the flag of a bad flag value', () => {
    const error = failure(() => loadConfig({ flags: { logLevel: 'loud' }, env: {}, cwd: dir }));
    expect(error.message).toBe(
      'invalid config: logLevel (from --log-level) must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
  });

  it('leaves rate limiting off by default, and setting its max alone turns it on', () => {
    expect(loadConfig({ env: {}, cwd: dir }).config.rateLimit).toBe(false);
    const max = loadConfig({ env: { HERALD_RATE_LIMIT__MAX: '50' }, cwd: dir });
    expect(max.config.rateLimit).toEqual({ max: 50, timeWindowMs: 60_000 });
    const off = loadConfig({ env: { HERALD_RATE_LIMIT__MAX: '50', HERALD_RATE_LIMIT: 'false' }, cwd: dir });
    expect(off.config.rateLimit).toBe(false);
  });

  it('turns rate limiting off with rateLimit: false, and a later source can turn it back on', () => {
    const path = file('no-limit.yaml', 'rateLimit: false\n');
    expect(loadConfig({ flags: { config: path }, env: {}, cwd: dir }).config.rateLimit).toBe(false);
    const on = loadConfig({ flags: { config: path }, env: { HERALD_RATE_LIMIT: 'true' }, cwd: dir });
    expect(on.config.rateLimit).toEqual({ max: 6_000, timeWindowMs: 60_000 });
    const tuned = file('limit.yaml', 'rateLimit: { max: 10, timeWindowMs: 1000 }\n');
    expect(loadConfig({ flags: { config: tuned }, env: {}, cwd: dir }).config.rateLimit).toEqual({
      max: 10,
      timeWindowMs: 1000,
    });
  });

  it('builds the auth options from the file and the environment', () => {
    const path = file(
      'auth.yaml',
      [
        'auth:',
        '  keys:',
        '    - { name: shop, key: s3cret-shop, publish: ["orders.>"], subscribe: ["orders.>"] }',
        `    - { name: ops, sha256: "${'AB'.repeat(32)}", admin: true }`,
        '  jwt: { issuer: https://issuer.example }',
      ].join('\n'),
    );
    const { config } = loadConfig({
      flags: { config: path },
      env: { HERALD_AUTH__JWT__SECRET: 'hs256-secret' },
      cwd: dir,
    });
    expect(config.auth).toEqual({
      keys: [
        { name: 'shop', key: 's3cret-shop', publish: ['orders.>'], subscribe: ['orders.>'] },
        { name: 'ops', sha256: 'ab'.repeat(32), admin: true },
      ],
      jwt: { issuer: 'https://issuer.example', secret: 'hs256-secret' },
      failureLimit: { max: 20, windowMs: 60_000 },
    });
  });

  it('refuses a jwt section with neither a secret nor a JWKS file', () => {
    const error = failure(() => loadConfig({ env: { HERALD_AUTH__JWT__ISSUER: 'me' }, cwd: dir }));
    expect(error.message).toBe(
      'invalid config: auth.jwt (from HERALD_AUTH__JWT__ISSUER) needs secret (HS256) or jwksFile (RS256, ES256)',
    );
  });

  it('resolves a JWKS file against the config file folder and refuses a missing one', () => {
    writeFileSync(join(dir, 'jwks.json'), '{"keys":[]}');
    const path = file('jwks.yaml', 'auth:\n  jwt:\n    jwksFile: ./jwks.json\n');
    const { config } = loadConfig({ env: {}, cwd: '/', flags: { config: path } });
    expect(config.auth?.jwt?.jwksFile).toBe(join(dir, 'jwks.json'));
    const error = failure(() =>
      loadConfig({ env: { HERALD_AUTH__JWT__JWKS_FILE: './nope.json' }, cwd: dir }),
    );
    expect(error.details).toEqual({ key: 'auth.jwt.jwksFile', source: 'HERALD_AUTH__JWT__JWKS_FILE' });
  });
});

describe('toServerOptions and the bind rule', () => {
  it('maps the config onto createServer options', () => {
    const { config } = loadConfig({
      env: {
        HERALD_CORS__ORIGINS: 'https://app.example',
        HERALD_ALLOW_IPS: '127.0.0.1',
        HERALD_METRICS_PUBLIC: 'yes',
        HERALD_RATE_LIMIT: 'true',
      },
      cwd: dir,
    });
    const log = memoryLog();
    expect(toServerOptions(config, log)).toMatchObject({
      log,
      bodyLimit: 1_048_576,
      logger: { level: 'info' },
      metricsPublic: true,
      cors: { origins: ['https://app.example'] },
      allowIps: ['127.0.0.1'],
      rateLimit: { max: 6_000, timeWindowMs: 60_000 },
    });
    expect(toServerOptions(config, log)).not.toHaveProperty('auth');
  });

  it('keeps cors.origins: [] (no origin, not even the loopback default) and leaves cors out when unset', () => {
    const path = file('no-cors.yaml', 'cors:\n  origins: []\n');
    const log = memoryLog();
    const none = loadConfig({ env: {}, cwd: '/', flags: { config: path } }).config;
    expect(toServerOptions(none, log).cors).toEqual({ origins: [] });
    expect(toServerOptions(loadConfig({ env: {}, cwd: dir }).config, log)).not.toHaveProperty('cors');
  });

  it('turns the dashboard off with dashboard: false, and leaves the default (served) alone', () => {
    const log = memoryLog();
    const off = loadConfig({ env: { HERALD_DASHBOARD: 'false' }, cwd: dir }).config;
    expect(off.dashboard).toBe(false);
    expect(toServerOptions(off, log).dashboard).toBe(false);
    const path = file('no-dashboard.yaml', 'dashboard: false\n');
    expect(loadConfig({ env: {}, cwd: '/', flags: { config: path } }).config.dashboard).toBe(false);
    expect(toServerOptions(loadConfig({ env: {}, cwd: dir }).config, log)).not.toHaveProperty('dashboard');
    const error = failure(() => loadConfig({ env: { HERALD_DASHBOARD: 'sometimes' }, cwd: dir }));
    expect(error.details).toMatchObject({ key: 'dashboard', source: 'HERALD_DASHBOARD' });
  });

  it('refuses a non-loopback host without auth, naming where the host came from', () => {
    const loaded = loadConfig({ env: { HERALD_HOST: '0.0.0.0' }, cwd: dir });
    const error = failure(() => assertSafeBind(loaded));
    expect(error.message).toMatch(
      /^refusing to listen on 0\.0\.0\.0: no authentication is configured \(host from HERALD_HOST\)/,
    );
    expect(error.details).toEqual({ key: 'host', source: 'HERALD_HOST' });
  });

  it('allows a non-loopback host with auth configured or with insecure set', () => {
    const keys = JSON.stringify([{ name: 'a', key: 'k'.repeat(8) }]);
    expect(() =>
      assertSafeBind(loadConfig({ env: { HERALD_HOST: '0.0.0.0', HERALD_AUTH__KEYS: keys }, cwd: dir })),
    ).not.toThrow();
    expect(() =>
      assertSafeBind(loadConfig({ flags: { host: '0.0.0.0', insecure: true }, env: {}, cwd: dir })),
    ).not.toThrow();
    expect(() =>
      assertSafeBind(loadConfig({ flags: { host: '127.0.0.5' }, env: {}, cwd: dir })),
    ).not.toThrow();
  });
});
