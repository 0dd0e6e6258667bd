/**
 * A group's members as this hub knows them (`GET /v1/groups/<name>/members`): each caller that
 * pulled the group through this hub, when it last pulled, its pulls and deliveries since the hub
 * started, and the receipts it holds now. Read every second with the group's figures.
 */
import { getJson } from '../api.js';
import { count, ErrorLine, html, usePoll } from '../ui.js';
import { relativeTime } from './groups-pending.js';

/** One member as the hub answers it. */
export interface Member {
  id: string;
  lastPullAt: string;
  pulls: number;
  delivered: number;
  held: number;
}

/**
 * The members table of one group.
 *
 * @example
 * ```ts
 * html`<${GroupMembers} name="mailer" generation=${0} />`;
 * ```
 */
export function GroupMembers({ name, generation }: { name: string; generation: number }) {
  const members = usePoll(
    () => getJson<{ members: Member[] }>(`/v1/groups/${encodeURIComponent(name)}/members`),
    1_000,
    [name, generation],
  );
  const list = members.value?.members;
  const now = Date.now();
  return html`<section aria-labelledby="members-title" data-testid="members">
    <h3 id="members-title">Members</h3>
    <p class="muted">
      Callers that pulled this group through this hub since it started (other hubs know their own; broker
      subscribers in other processes pull the log directly and are not listed).
    </p>
    <${ErrorLine} error=${members.error} />
    ${
      list === undefined
        ? null
        : list.length === 0
          ? html`<p class="status">No member has pulled through this hub yet.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">member</th>
                  <th scope="col">last pull</th>
                  <th scope="col" class="num">pulls</th>
                  <th scope="col" class="num">delivered</th>
                  <th scope="col" class="num">holding now</th>
                </tr>
              </thead>
              <tbody>
                ${list.map(
                  (m) =>
                    html`<tr key=${m.id}>
                      <td><code>${m.id}</code></td>
                      <td>
                        <time datetime=${m.lastPullAt} title=${m.lastPullAt}
                          >${relativeTime(m.lastPullAt, now)}</time
                        >
                      </td>
                      <td class="num">${count(m.pulls)}</td>
                      <td class="num">${count(m.delivered)}</td>
                      <td class="num" data-field="held">${count(m.held)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
  </section>`;
}
