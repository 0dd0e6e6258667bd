import { describe, expect, it } from 'vitest';
import { openDriverLog } from './log-drivers.js';

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
    const { redisLog } = await openDriverLog('redis');
    expect(typeof redisLog).toBe('function');
  });
});
