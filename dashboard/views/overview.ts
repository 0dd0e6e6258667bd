/**
 * The Overview (`#/overview`, the default view): the backend and its guarantees in words, the
 * log's head, live clients, uptime, health and readiness, events per second published and
 * delivered (a uPlot chart over 5 min or 1 h), the busiest types, and the groups with the largest
 * lag. It polls `GET /v1/stats` every 2 s and the public `/healthz` and `/readyz`. The rates are
 * this hub's own ring and start empty at a restart (docs/http-stats.md); the page says so.
 */
import { useState } from 'preact/hooks';
import { ApiError, describeError, getJson, noteHead, type Me } from '../api.js';
import { href } from '../router.js';
import { count, duration, ErrorLine, html, usePoll } from '../ui.js';
import { RatePlot, type RateSeries } from './overview-plot.js';

/** How often the overview reads the hub. */
const POLL_MS = 2000;
/** The windows offered, in seconds. */
const WINDOWS = [
  { seconds: 300, label: '5 min' },
  { seconds: 3600, label: '1 h' },
] as const;

/** The backend's capability flags (`GET /v1/stats` → `backend`; `LogCapabilities`). */
export interface Capabilities {
  name: string;
  survivesReopen?: boolean;
  survivesServerRestart?: boolean;
  fsync?: boolean;
  consumerGroups?: boolean;
  multiProcess?: boolean;
}

/** `GET /v1/stats` as the overview reads it. */
export interface Stats {
  backend: Capabilities;
  head: number;
  live: { sse: number; ws: number };
  uptimeMs: number;
  rates: RateSeries & { byType: Record<string, { published: number; delivered: number }> };
  groups: { name: string; lag: number; pending: number; deadLetters: number }[];
}

/** What one poll found: the stats, or that the hub wants a token. */
type Reading = { stats: Stats } | { locked: string };

/** `/healthz` and `/readyz` in words. */
interface Health {
  healthy: string;
  ready: string;
  ok: boolean;
}

/**
 * The capability flags as sentences, one per flag (see docs/guarantees.md).
 *
 * @example
 * ```ts
 * guarantees({ name: 'sqlite', survivesReopen: true, survivesServerRestart: true, fsync: true });
 * // ['Stored events survive a restart of the hub.', 'Acknowledged events survive a crash of the server.', ...]
 * ```
 */
export function guarantees(c: Capabilities): string[] {
  const say = (flag: boolean | undefined, yes: string, no: string) => (flag === true ? yes : no);
  return [
    say(
      c.survivesReopen,
      'Stored events survive a restart of the hub.',
      'Not durable: events are lost when the hub stops.',
    ),
    say(
      c.survivesServerRestart,
      'Acknowledged events survive a crash of the server.',
      'A crash of the server may lose acknowledged events.',
    ),
    say(
      c.fsync,
      'An append resolves only once it is on disk (fsync): it survives a machine crash.',
      'An append may resolve before it is on disk (no fsync): a machine crash may lose the last ones.',
    ),
    say(c.consumerGroups, 'Durable consumer groups with ack, retry and dead letters.', 'No consumer groups.'),
    say(
      c.multiProcess,
      'Several processes and hubs may share the log.',
      'One process only: hubs cannot share this log.',
    ),
    'As on every backend: one global order, at-least-once delivery, expected versions per stream, idempotent append by id.',
  ];
}

async function readStats(since: number): Promise<Reading> {
  try {
    const stats = await getJson<Stats>(`/v1/stats?since=${since}`);
    noteHead(stats.head);
    return { stats };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403))
      return { locked: error.message };
    throw error;
  }
}

async function readHealth(): Promise<Health> {
  const probe = async (path: string, good: string) => {
    try {
      const body = await getJson<{ status?: string }>(path);
      return { text: body.status ?? good, ok: true };
    } catch (error) {
      return { text: describeError(error), ok: false };
    }
  };
  const [healthy, ready] = await Promise.all([probe('/healthz', 'ok'), probe('/readyz', 'ready')]);
  return { healthy: healthy.text, ready: ready.text, ok: healthy.ok && ready.ok };
}

/** A rate as text: whole numbers as they are, others to one decimal, a trickle as `< 0.1/s`. */
function perSecond(n: number): string {
  if (n > 0 && n < 0.05) return '< 0.1/s';
  return `${Number.isInteger(n) ? count(n) : n.toFixed(1)}/s`;
}

/** The caption of the plot: the last complete second and the window's average, in words. */
function rateSummary(rates: RateSeries, window: string): string {
  const last = (xs: number[]) => xs[xs.length - 2] ?? xs[xs.length - 1] ?? 0;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const n = Math.max(1, rates.published.length);
  return (
    `Last second: ${perSecond(last(rates.published))} published, ${perSecond(last(rates.delivered))} delivered. ` +
    `Over the last ${window}: ${count(sum(rates.published))} published (${perSecond(sum(rates.published) / n)} on average), ` +
    `${count(sum(rates.delivered))} delivered (${perSecond(sum(rates.delivered) / n)}).`
  );
}

export function OverviewView({
  me,
  generation,
}: {
  arg: string | undefined;
  me: Me | undefined;
  generation: number;
}) {
  const [span, setSpan] = useState<number>(WINDOWS[0].seconds);
  const reading = usePoll(() => readStats(span), POLL_MS, [span, generation]);
  const health = usePoll(readHealth, POLL_MS, []);
  const windowLabel = WINDOWS.find((w) => w.seconds === span)?.label ?? `${span} s`;
  const value = reading.value;

  return html`<section aria-labelledby="overview-title" class="overview">
    <h2 id="overview-title">Overview</h2>
    <${HealthLine} health=${health.value} />
    ${
      value !== undefined && 'locked' in value
        ? html`<p class="locked" role="status" data-testid="locked">
            Enter a token in the field above to see this hub's overview. Health and readiness are public;
            everything else needs a token.
            <span class="muted">The hub answered: ${value.locked}</span>
          </p>`
        : null
    }
    <${ErrorLine} error=${reading.error} />
    ${
      value !== undefined && 'stats' in value
        ? html`<${Facts} stats=${value.stats} />
            <section aria-labelledby="rates-title" class="rates">
              <div class="rates-head">
                <h3 id="rates-title">Events per second</h3>
                <div role="group" aria-label="Window" class="window">
                  ${WINDOWS.map(
                    (w) =>
                      html`<button
                        type="button"
                        aria-pressed=${w.seconds === span}
                        data-testid=${`window-${w.seconds}`}
                        onClick=${() => setSpan(w.seconds)}
                      >
                        ${w.label}
                      </button>`,
                  )}
                </div>
              </div>
              <p class="muted">
                These rates are this hub's own (events published through it and written to its live clients),
                kept in memory: they start empty when the hub restarts, and other hubs on the same log count
                their own.
              </p>
              <${RatePlot}
                rates=${value.stats.rates}
                label=${`Events per second published and delivered by this hub over the last ${windowLabel}`}
                summary=${rateSummary(value.stats.rates, windowLabel)}
              />
            </section>
            <${TopTypes} stats=${value.stats} window=${windowLabel} />
            <${LaggingGroups} stats=${value.stats} admin=${me?.admin === true} />`
        : reading.loading
          ? html`<p class="status">Loading…</p>`
          : null
    }
  </section>`;
}

function HealthLine({ health }: { health: Health | undefined }) {
  if (health === undefined) return null;
  return html`<p class=${health.ok ? 'health ok' : 'health bad'} data-testid="health">
    Health: <strong>${health.healthy}</strong> · Readiness: <strong>${health.ready}</strong>
  </p>`;
}

function Facts({ stats }: { stats: Stats }) {
  return html`<div class="facts-grid">
    <dl class="figures">
      <div>
        <dt>Backend</dt>
        <dd data-testid="overview-backend">${stats.backend.name}</dd>
      </div>
      <div>
        <dt>Log head</dt>
        <dd data-testid="overview-head">${count(stats.head)}</dd>
      </div>
      <div>
        <dt>Live clients</dt>
        <dd data-testid="overview-live">${count(stats.live.sse)} SSE · ${count(stats.live.ws)} WebSocket</dd>
      </div>
      <div>
        <dt>Uptime</dt>
        <dd data-testid="overview-uptime">${duration(stats.uptimeMs)}</dd>
      </div>
    </dl>
    <div class="guarantees">
      <h3>What ${stats.backend.name} guarantees</h3>
      <ul data-testid="guarantees">
        ${guarantees(stats.backend).map((g) => html`<li>${g}</li>`)}
      </ul>
    </div>
  </div>`;
}

function TopTypes({ stats, window }: { stats: Stats; window: string }) {
  const rows = Object.entries(stats.rates.byType).sort(
    ([a, x], [b, y]) => y.published + y.delivered - (x.published + x.delivered) || a.localeCompare(b),
  );
  return html`<section aria-labelledby="types-title">
    <h3 id="types-title">Busiest types, last ${window}</h3>
    ${
      rows.length === 0
        ? html`<p class="muted" data-testid="types-empty">
            No events published or delivered through this hub in the window.
          </p>`
        : html`<table data-testid="top-types">
            <thead>
              <tr>
                <th scope="col">type</th>
                <th scope="col" class="num">published</th>
                <th scope="col" class="num">delivered</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                ([type, r]) =>
                  html`<tr data-type=${type}>
                    <td><code>${type}</code></td>
                    <td class="num">${count(r.published)}</td>
                    <td class="num">${count(r.delivered)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}

function LaggingGroups({ stats, admin }: { stats: Stats; admin: boolean }) {
  return html`<section aria-labelledby="lag-title">
    <h3 id="lag-title">Groups with the largest lag</h3>
    ${
      stats.groups.length === 0
        ? html`<p class="muted" data-testid="groups-empty">
            No consumer groups${admin ? '' : ' this token may read'}.
          </p>`
        : html`<table data-testid="lagging-groups">
            <thead>
              <tr>
                <th scope="col">group</th>
                <th scope="col" class="num">lag</th>
                <th scope="col" class="num">pending</th>
                <th scope="col" class="num">dead letters</th>
              </tr>
            </thead>
            <tbody>
              ${stats.groups.map(
                (g) =>
                  html`<tr data-group=${g.name}>
                    <td>${admin ? html`<a href=${href('groups', g.name)}>${g.name}</a>` : g.name}</td>
                    <td class="num">${count(g.lag)}</td>
                    <td class="num">${count(g.pending)}</td>
                    <td class="num">
                      ${
                        admin && g.deadLetters > 0
                          ? html`<a
                              href=${href('dead-letters', g.name)}
                              aria-label=${`${g.deadLetters} dead letters of ${g.name}`}
                              >${count(g.deadLetters)}</a
                            >`
                          : count(g.deadLetters)
                      }
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}
