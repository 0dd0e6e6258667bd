import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../backends/memory/index.js';
import { loadConfig } from '../server/config/load-config.js';
import { logName, openDriverLog, openLog } from './log-drivers.js';

/** The error Node throws when an imported module imports a package that is not installed. */
function notFound(pkg: string): Error {
  return Object.assign(
    new Error(`Cannot find package '${pkg}' imported from /app/node_modules/herald/dist/x.js`),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );
}

describe('openDriverLog', () => {
  it('names the driver to npm install when it is missing', async () => {
    const opening = openDriverLog('postgres', {
      load: () => Promise.reject(notFound('pg')),
      resolves: () => false,
    });
    await expect(opening).rejects.toThrow(
      'the postgres log needs pg, which is not installed: run `npm install pg`',
    );
    await expect(
      openDriverLog('redis', { load: () => Promise.reject(notFound('ioredis')), resolves: () => false }),
    ).rejects.toThrow('run `npm install ioredis`');
  });

  it('names every missing NATS package, not only the first Node met', async () => {
    await expect(
      openDriverLog('nats', {
        load: () => Promise.reject(notFound('@nats-io/transport-node')),
        resolves: () => false,
      }),
    ).rejects.toThrow(
      'the nats log needs @nats-io/transport-node and @nats-io/jetstream, which are not installed: ' +
        'run `npm install @nats-io/transport-node @nats-io/jetstream`',
    );
    await expect(
      openDriverLog('nats', {
        load: () => Promise.reject(notFound('@nats-io/jetstream')),
        resolves: (pkg) => pkg !== '@nats-io/jetstream',
      }),
    ).rejects.toThrow('run `npm install @nats-io/jetstream`');
  });

  it('keeps the cause, and rethrows other failures untouched', async () => {
    const cause = notFound('pg');
    const error = await openDriverLog('postgres', {
      load: () => Promise.reject(cause),
      resolves: () => false,
    }).catch((e: unknown) => e);
    expect((error as Error).cause).toBe(cause);
    // Another package missing (a bug in Herald, not a driver to install): not disguised.
    const other = notFound('left-pad');
    await expect(openDriverLog('postgres', { load: () => Promise.reject(other) })).rejects.toBe(other);
    const boom = new Error('boom');
    await expect(openDriverLog('redis', { load: () => Promise.reject(boom) })).rejects.toBe(boom);
  });

  it('imports the backend when its driver is there', async () => {
    const { redisLog } = (await openDriverLog('redis')) as typeof import('../backends/redis/index.js');
    expect(typeof redisLog).toBe('function');
  });
});

describe('openLog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-open-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What `openLog` passes the backend's factory, through a stand-in module. */
  async function factoryOptions(
    factory: string,
    flags: Record<string, unknown>,
    env: Record<string, string> = {},
  ): Promise<unknown> {
    let given: unknown;
    const { config } = loadConfig({ flags, env, cwd: dir });
    const log = await openLog(config, {
      load: () =>
        Promise.resolve({
          [factory]: (options: unknown) => {
            given = options;
            return memoryLog();
          },
        }),
    });
    await log.close();
    return given;
  }

  // The options the CLI's own openLog gave each factory before the registry.
  it('opens each backend with the options from the config', async () => {
    expect(
      await factoryOptions('postgresLog', { log: 'postgresql://db/x' }, { HERALD_POSTGRES__SCHEMA: 'shop' }),
    ).toEqual({
      connectionString: 'postgresql://db/x',
      schema: 'shop',
    });
    expect(await factoryOptions('redisLog', { log: 'rediss://db:6380/1' })).toEqual({
      url: 'rediss://db:6380/1',
      prefix: 'herald',
    });
    expect(
      await factoryOptions('natsLog', { log: 'tls://n:4222' }, { HERALD_NATS__SUBJECT_PREFIX: 'a.b' }),
    ).toEqual({ servers: 'tls://n:4222', stream: 'HERALD', subjectPrefix: 'a.b' });
    const data = join(dir, 'data');
    expect(await factoryOptions('sqliteLog', { data, durability: 'os' })).toEqual({
      path: join(data, 'events.db'),
      durability: 'os',
    });
    expect(existsSync(data)).toBe(true);
  });

  it('names the log as the listening line shows it, without a password', () => {
    const named = (log: string): string =>
      logName(loadConfig({ flags: { log, data: './d' }, env: {}, cwd: dir }).config);
    expect(named('sqlite')).toBe('sqlite in ./d');
    expect(named('memory')).toBe('memory');
    expect(named('postgres://app:s3cret@db/shop')).toBe('postgres://app:***@db/shop');
    expect(named('nats://127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
  });
});
