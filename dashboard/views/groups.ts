/**
 * The Groups view (admin only, as the hub's routes are): `#/groups` lists every consumer group
 * with its positions, pending, lag and dead letters, read again every second; `#/groups/<name>`
 * shows one group with its options and its pending deliveries (position, type, deliveries, last
 * error, when it is due again), 100 to a page, each linked to its trace.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, noteHead, type Me } from '../api.js';
import { href } from '../router.js';
import { count, ErrorLine, html, usePoll } from '../ui.js';
import { GroupMembers } from './groups-members.js';
import { PendingDeliveries } from './groups-pending.js';

/** How often the figures are read again: lag is at most this stale. */
const REFRESH_MS = 1000;
/** How often a name the hub does not know is asked again (each 404 is a console error). */
const MISSING_RETRY_MS = 10_000;

/** A group's figures as `GET /v1/groups` lists them. */
export interface GroupInfo {
  name: string;
  ackedPosition: number;
  deliveredPosition: number;
  pending: number;
  lag: number;
  deadLetters: number;
}

/** `GET /v1/groups/<name>`: the figures and the options its consumers last set. */
export interface GroupDetail extends GroupInfo {
  options: { types?: string[]; ackWaitMs?: number; maxDeliveries?: number; backoff?: unknown };
}

const path = (name: string) => `/v1/groups/${encodeURIComponent(name)}`;

export function GroupsView({
  arg,
  generation,
}: {
  arg: string | undefined;
  me: Me | undefined;
  generation: number;
}) {
  return arg === undefined
    ? html`<${GroupList} generation=${generation} />`
    : html`<${OneGroup} name=${arg} generation=${generation} />`;
}

/** "Updated 0.4 s ago" would re-render every frame; the time of the last answer is enough. */
function Freshness({ at }: { at: number | undefined }) {
  return at === undefined
    ? null
    : html`<p class="muted fresh">
        Read every second; last answer at ${new Date(at).toLocaleTimeString('en-GB')}.
      </p>`;
}

function useStamp(value: unknown): number | undefined {
  const [at, setAt] = useState<number | undefined>(undefined);
  useEffect(() => {
    if (value !== undefined) setAt(Date.now());
  }, [value]);
  return at;
}

function GroupList({ generation }: { generation: number }) {
  const list = usePoll(
    async () => {
      const answer = await getJson<{ groups: GroupInfo[] }>('/v1/groups');
      // A delivered position is in the log: the header's head follows it.
      noteHead(Math.max(0, ...answer.groups.map((g) => g.deliveredPosition)));
      return answer;
    },
    REFRESH_MS,
    [generation],
  );
  const at = useStamp(list.value);
  const groups = list.value?.groups ?? [];
  return html`<section aria-labelledby="groups-title" class="groups">
    <h2 id="groups-title">Groups</h2>
    <${ErrorLine} error=${list.error} />
    <${Freshness} at=${at} />
    ${
      list.value === undefined
        ? list.loading
          ? html`<p class="status">Loading…</p>`
          : null
        : groups.length === 0
          ? html`<p class="muted" data-testid="groups-none">
              No consumer groups yet. A group is created by its first consumer (a pull over HTTP, or${' '}
              <code>broker.subscribe(..., { group })</code>).
            </p>`
          : html`<table data-testid="groups-table">
              <caption class="muted">
                Lag: matching events not yet delivered. Pending: delivered, not yet acked.
              </caption>
              <thead>
                <tr>
                  <th scope="col">group</th>
                  <th scope="col" class="num">acked up to</th>
                  <th scope="col" class="num">delivered up to</th>
                  <th scope="col" class="num">pending</th>
                  <th scope="col" class="num">lag</th>
                  <th scope="col" class="num">dead letters</th>
                </tr>
              </thead>
              <tbody>
                ${groups.map(
                  (g) =>
                    html`<tr data-group=${g.name}>
                      <th scope="row"><a href=${href('groups', g.name)}>${g.name}</a></th>
                      <td class="num">${count(g.ackedPosition)}</td>
                      <td class="num">${count(g.deliveredPosition)}</td>
                      <td class="num" data-field="pending">${count(g.pending)}</td>
                      <td class="num" data-field="lag">${count(g.lag)}</td>
                      <td class="num" data-field="dead-letters">
                        ${
                          g.deadLetters > 0
                            ? html`<a
                                href=${href('dead-letters', g.name)}
                                aria-label=${`${g.deadLetters} dead letters of ${g.name}`}
                                >${count(g.deadLetters)}</a
                              >`
                            : '0'
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
  </section>`;
}

/** A list of milliseconds as `1 s, 5 s, 30 s`; anything else as JSON. */
function backoffText(backoff: unknown): string {
  if (backoff === undefined) return 'the default (1 s, 5 s, 30 s, then 30 s)';
  if (Array.isArray(backoff) && backoff.every((n) => typeof n === 'number'))
    return backoff.map((n) => (n % 1000 === 0 ? `${n / 1000} s` : `${n} ms`)).join(', ');
  return JSON.stringify(backoff);
}

function OneGroup({ name, generation }: { name: string; generation: number }) {
  // A name the hub answers 404 for is asked again every MISSING_RETRY_MS, not every second.
  const missing = useRef<{ key: string; at: number } | undefined>(undefined);
  const key = `${generation}/${name}`;
  const group = usePoll<GroupDetail | { missing: string }>(
    async () => {
      const known = missing.current;
      if (known?.key === key && Date.now() - known.at < MISSING_RETRY_MS) return { missing: name };
      try {
        const answer = await getJson<GroupDetail>(path(name));
        missing.current = undefined;
        noteHead(answer.deliveredPosition);
        return answer;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        missing.current = { key, at: Date.now() };
        return { missing: name };
      }
    },
    REFRESH_MS,
    [name, generation],
  );
  const at = useStamp(group.value);
  const value = group.value;
  const g = value !== undefined && 'name' in value && value.name === name ? value : undefined;
  const absent = value !== undefined && 'missing' in value && value.missing === name;
  const o = g?.options;
  return html`<section aria-labelledby="groups-title" class="groups">
    <p class="crumbs"><a href=${href('groups')}>All groups</a></p>
    <h2 id="groups-title">Group <code>${name}</code></h2>
    <${ErrorLine} error=${group.error} />
    <${Freshness} at=${at} />
    ${
      absent
        ? html`<p class="status" data-testid="group-missing">
            The hub has no group named <code>${name}</code>. A group is created by its first consumer; this
            page asks again every ${MISSING_RETRY_MS / 1000} s.
          </p>`
        : g === undefined || o === undefined
          ? group.loading
            ? html`<p class="status">Loading…</p>`
            : null
          : html`<div class="group-facts">
                <dl class="figures" data-testid="group-figures">
                  <div>
                    <dt>Acked up to</dt>
                    <dd>${count(g.ackedPosition)}</dd>
                  </div>
                  <div>
                    <dt>Delivered up to</dt>
                    <dd>${count(g.deliveredPosition)}</dd>
                  </div>
                  <div>
                    <dt>Pending</dt>
                    <dd data-field="pending">${count(g.pending)}</dd>
                  </div>
                  <div>
                    <dt>Lag</dt>
                    <dd data-field="lag">${count(g.lag)}</dd>
                  </div>
                  <div>
                    <dt>Dead letters</dt>
                    <dd data-field="dead-letters">
                      <a href=${href('dead-letters', name)} data-testid="dead-letters-link"
                        >${count(g.deadLetters)}<span class="visually-hidden">
                          dead letters of ${name}</span
                        ></a
                      >
                    </dd>
                  </div>
                </dl>
                <dl class="figures" data-testid="group-options">
                  <div>
                    <dt>Types</dt>
                    <dd>${(o.types ?? ['>']).map((t) => html`<code>${t}</code> `)}</dd>
                  </div>
                  <div>
                    <dt>Ack wait</dt>
                    <dd>${o.ackWaitMs === undefined ? '30 s (default)' : `${count(o.ackWaitMs)} ms`}</dd>
                  </div>
                  <div>
                    <dt>Max deliveries</dt>
                    <dd>${o.maxDeliveries ?? '5 (default)'}</dd>
                  </div>
                  <div>
                    <dt>Backoff</dt>
                    <dd>${backoffText(o.backoff)}</dd>
                  </div>
                </dl>
              </div>
              <${GroupMembers} name=${name} generation=${generation} />
              <${PendingDeliveries} name=${name} generation=${generation} />`
    }
  </section>`;
}
