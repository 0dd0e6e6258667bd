import { describe, expect, it } from 'vitest';
import { HeraldError } from '../../errors/herald-error.js';
import { envName } from './config-keys.js';
import { envEntries } from './env-layer.js';

function message(env: Record<string, string>): string {
  try {
    envEntries(env);
  } catch (error) {
    if (error instanceof HeraldError && error.code === 'INVALID_CONFIG') return error.message;
    throw error;
  }
  throw new Error('expected an INVALID_CONFIG error');
}

describe('HERALD_* variables', () => {
  it('are named HERALD_ and the key in UPPER_SNAKE_CASE, with __ between levels', () => {
    expect(envName('port')).toBe('HERALD_PORT');
    expect(envName('logLevel')).toBe('HERALD_LOG_LEVEL');
    expect(envName('live.keepAliveMs')).toBe('HERALD_LIVE__KEEP_ALIVE_MS');
    expect(envName('auth.jwt.jwksFile')).toBe('HERALD_AUTH__JWT__JWKS_FILE');
    expect(envName('rateLimit.timeWindowMs')).toBe('HERALD_RATE_LIMIT__TIME_WINDOW_MS');
  });

  it('parse numbers, booleans, comma-separated lists and JSON keys', () => {
    const entries = envEntries({
      HERALD_PORT: '4100',
      HERALD_INSECURE: 'true',
      HERALD_METRICS_PUBLIC: '0',
      HERALD_ALLOW_IPS: '127.0.0.1, 10.0.0.0/8,,::1',
      HERALD_CORS__ORIGINS: 'https://app.example,*',
      HERALD_AUTH__KEYS: '[{"name":"shop","key":"kkkkkkkk","publish":["orders.>"]}]',
      PATH: '/bin',
    });
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).toEqual({
      port: 4100,
      insecure: true,
      metricsPublic: false,
      allowIps: ['127.0.0.1', '10.0.0.0/8', '::1'],
      'cors.origins': ['https://app.example', '*'],
      'auth.keys': [{ name: 'shop', key: 'kkkkkkkk', publish: ['orders.>'] }],
    });
    expect(entries.find((e) => e.key === 'port')?.source).toBe('HERALD_PORT');
  });

  it('skip empty variables and the client commands’ variables', () => {
    expect(
      envEntries({ HERALD_PORT: '', HERALD_URL: 'http://x', HERALD_TOKEN: 't', HERALD_CONFIG: 'h.yaml' }),
    ).toEqual([]);
  });

  it('refuse an unknown HERALD_ variable, suggesting the closest', () => {
    expect(message({ HERALD_PROT: '1' })).toBe(
      'invalid config: HERALD_PROT (from the environment) is not a known setting; did you mean HERALD_PORT? (see docs/configuration.md)',
    );
  });

  it('name the variable of a value that does not parse', () => {
    expect(message({ HERALD_INSECURE: 'maybe' })).toBe(
      'invalid config: insecure (from HERALD_INSECURE) must be true or false, got "maybe"',
    );
    expect(message({ HERALD_AUTH__KEYS: '[{name:1}]' })).toMatch(
      /^invalid config: auth\.keys \(from HERALD_AUTH__KEYS\) must be a JSON list of keys: /,
    );
    expect(message({ HERALD_ALLOW_IPS: '10.0.0.0/33' })).toBe(
      'invalid config: allowIps[0] (from HERALD_ALLOW_IPS) must be an IP address or a CIDR range like 10.0.0.0/8, got "10.0.0.0/33"',
    );
  });
});
