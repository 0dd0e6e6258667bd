import { startHubProcess, stopHubProcess, type HubProcess } from './hub-process.js';

/** Several `herald serve` processes on one shared log. */
export interface HubCluster {
  readonly hubs: readonly HubProcess[];
  /** The base URLs, by hub index. */
  readonly bases: readonly string[];
  /** Kills hub `index` with SIGKILL (no drain, no goodbye) and waits until it is gone. */
  kill(index: number): Promise<void>;
  /** Stops every hub still running with SIGTERM; resolves with their exit codes (killed ones: null). */
  stop(): Promise<(number | null)[]>;
}

/**
 * Starts `count` hubs on the log at `url` with `env` (a schema, prefix or stream of the run),
 * all at once, or the first one alone when `oneFirst` (it creates what the others then open).
 *
 * @example
 * ```ts
 * const cluster = await startHubCluster(3, 'postgres://root@127.0.0.1/test', { HERALD_POSTGRES__SCHEMA: 's' });
 * await cluster.kill(2);
 * await cluster.stop();
 * ```
 */
export async function startHubCluster(
  count: number,
  url: string,
  env: Record<string, string>,
  oneFirst = false,
): Promise<HubCluster> {
  const hubs: HubProcess[] = [];
  try {
    if (oneFirst) hubs.push(await startHubProcess(url, env));
    const rest = Array.from({ length: count - hubs.length }, () => startHubProcess(url, env));
    const started = await Promise.allSettled(rest);
    for (const result of started) if (result.status === 'fulfilled') hubs.push(result.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } catch (error) {
    for (const hub of hubs) hub.child.kill('SIGKILL');
    throw error;
  }
  const killed = new Set<number>();
  return {
    hubs,
    bases: hubs.map((h) => h.base),
    async kill(index) {
      const { child } = hubs[index]!;
      killed.add(index);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    stop: () =>
      Promise.all(hubs.map((h, i) => (killed.has(i) ? Promise.resolve(null) : stopHubProcess(h.child)))),
  };
}
