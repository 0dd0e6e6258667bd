import { describe, expect, it } from 'vitest';
import { HeraldError } from '../../errors/herald-error.js';
import { withDefaultUser } from './default-user.js';

const none = { env: {}, osUser: () => 'deploy' };

describe('withDefaultUser', () => {
  it('adds PGUSER, else USER, else the OS account to a URL that names no user', () => {
    expect(
      withDefaultUser('postgres://db.internal/shop', {
        env: { PGUSER: 'pg', USER: 'u' },
        osUser: () => 'os',
      }),
    ).toBe('postgres://db.internal/shop?user=pg');
    if (process.platform !== 'win32') {
      expect(withDefaultUser('postgres://db.internal/shop', { env: { USER: 'u' }, osUser: () => 'os' })).toBe(
        'postgres://db.internal/shop?user=u',
      );
    }
    expect(withDefaultUser('postgresql://127.0.0.1:5432/test?sslmode=disable', none)).toBe(
      'postgresql://127.0.0.1:5432/test?sslmode=disable&user=deploy',
    );
    expect(withDefaultUser('postgres:///test?host=/var/run/postgresql', none)).toBe(
      'postgres:///test?host=%2Fvar%2Frun%2Fpostgresql&user=deploy',
    );
  });

  it('leaves a URL that names its user, and strings that are not URLs, as they are', () => {
    for (const given of [
      'postgres://app@db/shop',
      'postgres://app:secret@db/shop',
      'postgres://db/shop?user=app',
      '/var/run/postgresql shop',
      'host=db dbname=shop',
    ]) {
      expect(withDefaultUser(given, none)).toBe(given);
    }
  });

  it('fails saying what to add when no user name can be found, without echoing parameters', () => {
    const unknown = {
      env: {},
      osUser: () => {
        throw new Error('no passwd entry');
      },
    };
    let caught: unknown;
    try {
      withDefaultUser('postgres://db.internal:5432/shop?password=hunter2', unknown);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HeraldError);
    expect((caught as HeraldError).code).toBe('INVALID_OPTION');
    expect((caught as HeraldError).message).toMatch(/postgres:\/\/user@host\/db/);
    expect((caught as HeraldError).message).not.toMatch(/hunter2/);
  });
});
