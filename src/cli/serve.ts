import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/create-server.js';
import { assertSafeBind, loadConfig, toServerOptions, type LoadedConfig } from '../server/config/index.js';
import { requestLogOptions } from './request-log.js';
import { logName, openLog } from './log-drivers.js';
import { insecureWarning, listeningAt } from './serve-banner.js';

/**
 * Runs the hub until SIGTERM or SIGINT. Settings come from defaults, the YAML file, `HERALD_*`
 * variables and flags (`flags`, commander's option values), in that order of precedence; they are
 * all checked before anything starts. Binding beyond loopback without auth is refused unless
 * `insecure` is set.
 *
 * @example
 * ```ts
 * await serve({ port: '4021', config: './herald.yaml' }); // as `herald serve --port 4021 --config ./herald.yaml`
 * ```
 */
export async function serve(
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const loaded = loadConfig({ flags, env });
  assertSafeBind(loaded);
  const { config } = loaded;
  const log = await openLog(config);
  // Listen for the signals before the listening line is printed: whoever reads that line may
  // signal at once, and a signal with no listener yet would kill the process uncleanly.
  const signals = stopSignals();
  let app: FastifyInstance | undefined;
  try {
    app = createServer({ ...toServerOptions(config, log), logger: requestLogOptions(config.logLevel) });
    // Plugins load here, so their errors (an unreadable JWKS file, say) are not taken for listen's.
    await app.ready();
    await listen(app, loaded);
  } catch (error) {
    signals.dispose();
    await app?.close().catch(() => undefined);
    await log.close();
    throw error;
  }
  const file = loaded.file === undefined ? '' : `, config: ${loaded.file}`;
  // What the server really bound (the port --port 0 chose; every interface for 0.0.0.0).
  const { url, note } = listeningAt(app.addresses());
  const warning = insecureWarning(loaded);
  if (warning !== undefined) console.error(warning);
  console.log(
    `herald listening on ${url} (${note === undefined ? '' : `${note}; `}log: ${logName(config)}${file})`,
  );

  await signals.stopped;
  // Stop accepting, let requests in flight finish, then close the log (its last commit is on disk).
  await app.close();
  await log.close();
  console.log('herald stopped');
}

async function listen(app: FastifyInstance, { config, sources }: LoadedConfig): Promise<void> {
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    const where = `${config.host}:${config.port} (port from ${sources.get('port') ?? 'default'})`;
    throw new Error(`cannot listen on ${where}: ${(error as Error).message}`, { cause: error });
  }
}

function stopSignals(): { stopped: Promise<void>; dispose: () => void } {
  let dispose = (): void => undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      dispose();
      resolve();
    };
    dispose = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return { stopped, dispose };
}
