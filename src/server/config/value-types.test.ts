import { describe, expect, it } from 'vitest';
import { HeraldError } from '../../errors/herald-error.js';
import { apiKeys } from './api-keys.js';
import { didYouMean } from './did-you-mean.js';
import { logTarget } from './log-target.js';
import { integer, ipOrCidr, list, origin } from './value-types.js';

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof HeraldError && error.code === 'INVALID_CONFIG') return error.message;
    throw error;
  }
  throw new Error('expected an INVALID_CONFIG error');
}

describe('config values', () => {
  it('integers convert from text only when they are whole numbers', () => {
    const port = integer(0, 65535);
    expect(port.fromText('4021', 'port', 'HERALD_PORT')).toBe(4021);
    expect(message(() => port.check(port.fromText('40.5', 'port', 'X'), 'port', 'X'))).toBe(
      'invalid config: port (from X) must be an integer from 0 to 65535, got "40.5"',
    );
  });

  it('IP addresses and CIDR ranges of both families', () => {
    for (const ok of ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '0.0.0.0/0']) {
      expect(ipOrCidr.check(ok, 'allowIps[0]', 'f')).toBe(ok);
    }
    for (const bad of ['10.0.0.0/', '10.0.0/8', '::1/129', 'localhost', '1.2.3.4/8/9']) {
      expect(() => ipOrCidr.check(bad, 'allowIps[0]', 'f')).toThrow(/allowIps\[0\] \(from f\)/);
    }
  });

  it('origins are "*" or scheme://host[:port] without a path', () => {
    expect(origin.check('http://localhost:3000', 'o', 'f')).toBe('http://localhost:3000');
    expect(() => origin.check('https://app.example/', 'o', 'f')).toThrow(/must be "\*" or an origin/);
  });

  it('lists refuse to be empty (unless allowed) and name the index of a bad item', () => {
    expect(message(() => list(origin).check([], 'cors.origins', 'f'))).toBe(
      'invalid config: cors.origins (from f) must not be empty (leave it out instead)',
    );
    expect(list(origin, { allowEmpty: true }).check([], 'cors.origins', 'f')).toEqual([]);
    expect(message(() => list(origin).check(['*', 'nope'], 'cors.origins', 'f'))).toMatch(
      /^invalid config: cors\.origins\[1\] \(from f\)/,
    );
  });

  it('the log is sqlite, memory, or a postgres, redis or nats URL; other URLs are refused without echoing a password', () => {
    expect(logTarget.check('memory', 'log', '--log')).toBe('memory');
    expect(logTarget.check('postgres://herald@db:5432/herald', 'log', '--log')).toBe(
      'postgres://herald@db:5432/herald',
    );
    expect(logTarget.check('redis://herald:hunter2@db:6379/0', 'log', '--log')).toBe(
      'redis://herald:hunter2@db:6379/0',
    );
    expect(logTarget.check('rediss://db:6380', 'log', '--log')).toBe('rediss://db:6380');
    expect(logTarget.check('nats://localhost:4222', 'log', '--log')).toBe('nats://localhost:4222');
    expect(message(() => logTarget.check('mysql://herald:hunter2@localhost:3306', 'log', 'HERALD_LOG'))).toBe(
      'invalid config: log (from HERALD_LOG) must be sqlite, memory, or a postgres://, postgresql://, redis://, rediss://, nats:// or tls:// URL, ' +
        'got mysql://herald:***@localhost:3306 (no backend has the scheme mysql:)',
    );
    expect(message(() => logTarget.check('mysql', 'log', 'f'))).toBe(
      'invalid config: log (from f) must be sqlite, memory, or a postgres://, postgresql://, redis://, rediss://, nats:// or tls:// URL, got "mysql"',
    );
  });

  it('API keys need a unique name and exactly one of key or sha256, and valid patterns', () => {
    const check = (value: unknown): string => message(() => apiKeys.check(value, 'auth.keys', 'f'));
    expect(check([{ name: 'a' }])).toBe(
      'invalid config: auth.keys[0] (from f) must have exactly one of key (the secret) or sha256 (its hex SHA-256)',
    );
    expect(check([{ name: 'a', key: 'xxxxxxxx', publsh: [] }])).toBe(
      'invalid config: auth.keys[0].publsh (from f) is not a known field; did you mean publish?',
    );
    expect(check([{ name: 'a', key: 'xxxxxxxx', subscribe: ['orders.>.x'] }])).toBe(
      'invalid config: auth.keys[0].subscribe[0] (from f) must be a subject pattern like orders.> or orders.*, got "orders.>.x"',
    );
    expect(
      check([
        { name: 'a', key: 'xxxxxxxx' },
        { name: 'a', key: 'yyyyyyyy' },
      ]),
    ).toBe('invalid config: auth.keys[1].name (from f) repeats the name "a"');
    expect(check([{ name: 'a', key: 'short' }])).toBe(
      'invalid config: auth.keys[0].key (from f) must be a string of 8 characters or more',
    );
    expect(check([{ name: 'a', sha256: 'abc' }])).toMatch(
      /auth\.keys\[0\]\.sha256 \(from f\) must be 64 hex digits/,
    );
    const digest = '4cf0c1012276f46af31e44d2fbb03ae7af56f03c9996eb9452b99b3e6273698e'; // sha256('xxxxxxxx')
    expect(
      check([
        { name: 'a', key: 'xxxxxxxx' },
        { name: 'b', sha256: digest },
      ]),
    ).toBe('invalid config: auth.keys[1] (from f) has the same secret as an earlier key');
  });

  it('suggests a close name and nothing for a far one', () => {
    expect(didYouMean('HERALD_LOG_LEVLE', ['HERALD_LOG_LEVEL', 'HERALD_LOG'])).toBe('HERALD_LOG_LEVEL');
    expect(didYouMean('zzz', ['port', 'host'])).toBeUndefined();
  });
});
