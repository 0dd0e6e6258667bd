/**
 * A group's pending deliveries (`GET /v1/groups/<name>/pending`): events delivered and not yet
 * acked, in position order, 100 to a page. Each row has the event's position and type (linked to
 * its trace), how many times it was delivered, its last error and when it is due again. "Next
 * page" asks for the positions after the last row; "Previous page" goes back to the page before.
 * The buttons come before the table, so the keyboard reaches them without crossing 100 links.
 */
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.js';
import type { HeraldEvent } from '../../src/client/index.js';
import { href } from '../router.js';
import { count, ErrorLine, html, usePoll } from '../ui.js';

/** Pending deliveries one page shows (what the brief and the hub's default agree on). */
export const PAGE_SIZE = 100;

/** One pending delivery as the hub answers it. */
export interface PendingDelivery {
  event: HeraldEvent & { position: number };
  deliveries: number;
  error: string | null;
  dueAt: string;
}

/**
 * When `iso` is, relative to `now`, in words: `in 25 s`, `3 min ago`, `now`.
 *
 * @example
 * ```ts
 * relativeTime('2026-01-01T00:00:30Z', Date.parse('2026-01-01T00:00:00Z')); // 'in 30 s'
 * ```
 */
export function relativeTime(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return iso;
  const abs = Math.abs(ms);
  if (abs < 1000) return 'now';
  const text =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 86_400_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} d`;
  return ms > 0 ? `in ${text}` : `${text} ago`;
}

/** The current time, moving every second while shown (for relative times). */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function PendingDeliveries({ name, generation }: { name: string; generation: number }) {
  // The `after` of each page shown so far: the last is the current page's.
  const [pages, setPages] = useState<number[]>([0]);
  const after = pages[pages.length - 1] ?? 0;
  useEffect(() => setPages([0]), [name]);
  const page = usePoll(
    () =>
      getJson<{ pending: PendingDelivery[] }>(
        `/v1/groups/${encodeURIComponent(name)}/pending?limit=${PAGE_SIZE}&after=${after}`,
      ),
    2000,
    [name, after, generation],
  );
  const now = useNow();
  const rows = page.value?.pending ?? [];
  const last = rows[rows.length - 1]?.event.position;
  const first = rows[0]?.event.position;
  const full = rows.length === PAGE_SIZE;

  return html`<section aria-labelledby="pending-title" class="pending">
    <h3 id="pending-title">Pending deliveries</h3>
    <p class="muted">
      Delivered and not yet acked, in position order, ${PAGE_SIZE} to a page; each is delivered again when it
      is due unless a member acks it. Given up on:${' '}
      <a href=${href('dead-letters', name)}>dead letters of ${name}</a>.
    </p>
    <${ErrorLine} error=${page.error} />
    <p class="status" role="status" data-testid="pending-status">
      ${
        page.value === undefined
          ? page.loading
            ? 'Loading…'
            : ''
          : rows.length === 0
            ? pages.length > 1
              ? 'No more pending deliveries.'
              : 'Nothing pending.'
            : `Page ${pages.length}: ${count(rows.length)} pending, positions ${first} to ${last}.`
      }
    </p>
    <div class="pager">
      <button
        type="button"
        data-testid="pending-previous"
        disabled=${pages.length <= 1}
        onClick=${() => setPages((p) => (p.length > 1 ? p.slice(0, -1) : p))}
      >
        Previous page
      </button>
      <button
        type="button"
        data-testid="pending-next"
        disabled=${!full || last === undefined}
        onClick=${() => last !== undefined && setPages((p) => [...p, last])}
      >
        Next page
      </button>
    </div>
    ${
      rows.length === 0
        ? null
        : html`<table data-testid="pending-table">
            <thead>
              <tr>
                <th scope="col" class="num">position</th>
                <th scope="col">type</th>
                <th scope="col" class="num">deliveries</th>
                <th scope="col">last error</th>
                <th scope="col">due</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (p) =>
                  html`<tr data-position=${p.event.position}>
                    <td class="num">${p.event.position}</td>
                    <td>
                      <a
                        href=${href('trace', p.event.id)}
                        aria-label=${`Trace ${p.event.type} at position ${p.event.position}`}
                        ><code>${p.event.type}</code></a
                      >
                    </td>
                    <td class="num" data-field="deliveries">${p.deliveries}</td>
                    <td class="pending-error" data-field="error">
                      ${p.error ?? html`<span class="muted">none</span>`}
                    </td>
                    <td><time datetime=${p.dueAt} title=${p.dueAt}>${relativeTime(p.dueAt, now)}</time></td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}
