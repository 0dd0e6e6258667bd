/**
 * The letters of one error group (a page of 20 at a time, paged by position with `after`) and one
 * inspected dead letter. Both load again on every `tick`, so a letter redriven and dead again shows
 * its new error: nothing is patched locally.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { CHUNK, deadLetterAt, deadLetterPage, type DeadLetter } from './dead-letters-api.js';
import { ErrorLine, html, JsonView, usePoll } from '../ui.js';

/** Letters shown per page of an error group. */
const PAGE = 20;
/** Pages of `CHUNK` read at most to fill one page of an error group. */
const MAX_SCAN = 10;

/** What the letters and the inspected letter may ask of the view. */
export interface LetterActions {
  inspect: (position: number) => void;
  redrive: (position: number) => void;
  purge: (position: number) => void;
  /** An action is running: the buttons are disabled. */
  busy: boolean;
}

/** An RFC 3339 time, shorter: `2026-12-07 14:35:02Z`. */
export function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

interface LetterPage {
  letters: DeadLetter[];
  /** The `after` of the next page, when there is one. */
  next: number | undefined;
}

async function lettersOf(group: string, error: string | null, after: number): Promise<LetterPage> {
  const found: DeadLetter[] = [];
  let from = after;
  for (let i = 0; i < MAX_SCAN && found.length <= PAGE; i++) {
    const page = await deadLetterPage(group, from, CHUNK);
    for (const d of page) if ((d.normalisedError ?? null) === error) found.push(d);
    const last = page.at(-1)?.event.position;
    if (page.length < CHUNK || last === undefined || last <= from) {
      return {
        letters: found.slice(0, PAGE),
        next: found.length > PAGE ? found[PAGE - 1]!.event.position : undefined,
      };
    }
    from = last;
  }
  return {
    letters: found.slice(0, PAGE),
    next: found.length > PAGE ? found[PAGE - 1]!.event.position : from,
  };
}

/**
 * The dead letters of one normalised error, 20 a page, with Previous and Next; each row can be
 * inspected, redriven or purged.
 *
 * @example
 * ```ts
 * html`<${ErrorLetters} id="letters-0" group="mailer" error="timeout after <n> ms" tick=${tick} actions=${actions} />`;
 * ```
 */
export function ErrorLetters(props: {
  id: string;
  group: string;
  error: string | null;
  tick: number;
  actions: LetterActions;
}) {
  const { group, error, tick, actions } = props;
  // The `after` of each page seen so far: the last one is the page shown.
  const [cursors, setCursors] = useState<number[]>([0]);
  const after = cursors[cursors.length - 1] ?? 0;
  const page = usePoll(() => lettersOf(group, error, after), 0, [group, error, after, tick]);
  const letters = page.value?.letters ?? [];
  const next = page.value?.next;
  return html`<div id=${props.id} class="dl-letters" data-testid="letters">
    <${ErrorLine} error=${page.error} />
    ${
      page.loading
        ? html`<p class="muted">Loading letters…</p>`
        : letters.length === 0
          ? html`<p class="muted">
              No dead letters with this error${cursors.length > 1 ? ' on this page' : ''}.
            </p>`
          : html`<table>
              <caption class="dl-sr">
                Dead letters with this error
              </caption>
              <thead>
                <tr>
                  <th class="num" scope="col">position</th>
                  <th scope="col">type</th>
                  <th class="num" scope="col">deliveries</th>
                  <th scope="col">last error</th>
                  <th scope="col">dead since</th>
                  <th scope="col"><span class="dl-sr">actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${letters.map(
                  (d) =>
                    html`<tr
                      key=${d.event.position}
                      data-testid="letter-row"
                      data-position=${d.event.position}
                    >
                      <td class="num">${d.event.position}</td>
                      <td>${d.event.type}</td>
                      <td class="num">${d.deliveries}</td>
                      <td class="dl-error" data-testid="letter-error">${d.error ?? '(no error)'}</td>
                      <td><time datetime=${d.at}>${when(d.at)}</time></td>
                      <td class="dl-actions">
                        <button
                          type="button"
                          data-testid="inspect"
                          aria-label=${`Inspect position ${d.event.position}`}
                          onClick=${() => actions.inspect(d.event.position)}
                        >
                          Inspect
                        </button>
                        <button
                          type="button"
                          data-testid="redrive-one"
                          aria-label=${`Redrive position ${d.event.position}`}
                          disabled=${actions.busy}
                          onClick=${() => actions.redrive(d.event.position)}
                        >
                          Redrive
                        </button>
                        <button
                          type="button"
                          class="danger"
                          data-testid="purge-one"
                          aria-label=${`Purge position ${d.event.position}`}
                          disabled=${actions.busy}
                          onClick=${() => actions.purge(d.event.position)}
                        >
                          Purge
                        </button>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
    <div class="dl-pager">
      <button
        type="button"
        data-testid="previous-letters"
        disabled=${cursors.length <= 1}
        onClick=${() => setCursors((c) => c.slice(0, -1))}
      >
        Previous letters
      </button>
      <button
        type="button"
        data-testid="next-letters"
        disabled=${next === undefined}
        onClick=${() => next !== undefined && setCursors((c) => [...c, next])}
      >
        Next letters
      </button>
    </div>
  </div>`;
}

/**
 * One dead letter, read again on every `tick`: its event as JSON, deliveries, last error and when
 * it died; or a line saying it is no longer a dead letter.
 *
 * @example
 * ```ts
 * html`<${LetterDetail} group="mailer" position=${42} tick=${tick} actions=${actions} onClose=${close} />`;
 * ```
 */
export function LetterDetail(props: {
  group: string;
  position: number;
  tick: number;
  actions: LetterActions;
  onClose: () => void;
}) {
  const { group, position, tick, actions } = props;
  const letter = usePoll(() => deadLetterAt(group, position), 0, [group, position, tick]);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [position]);
  const d = letter.value;
  return html`<section class="dl-detail" aria-labelledby="dl-detail-title" data-testid="letter-detail">
    <h3 id="dl-detail-title" tabindex="-1" ref=${heading}>Dead letter at position ${position}</h3>
    <${ErrorLine} error=${letter.error} />
    ${
      letter.loading
        ? html`<p class="muted">Loading…</p>`
        : d === undefined
          ? html`<p data-testid="letter-gone">
                Position ${position} is no longer a dead letter of ${group} (redriven or purged).
              </p>
              <div class="dl-toolbar">
                <button type="button" data-testid="detail-close" onClick=${props.onClose}>Close</button>
              </div>`
          : html`<dl class="dl-facts">
                <div>
                  <dt>type</dt>
                  <dd>${d.event.type}</dd>
                </div>
                <div>
                  <dt>deliveries</dt>
                  <dd data-testid="detail-deliveries">${d.deliveries}</dd>
                </div>
                <div>
                  <dt>last error</dt>
                  <dd class="dl-error" data-testid="detail-error">${d.error ?? '(no error)'}</dd>
                </div>
                <div>
                  <dt>dead since</dt>
                  <dd><time datetime=${d.at}>${when(d.at)}</time></dd>
                </div>
              </dl>
              <div class="dl-toolbar">
                <button
                  type="button"
                  data-testid="detail-redrive"
                  disabled=${actions.busy}
                  onClick=${() => actions.redrive(position)}
                >
                  Redrive this letter
                </button>
                <button
                  type="button"
                  class="danger"
                  data-testid="detail-purge"
                  disabled=${actions.busy}
                  onClick=${() => actions.purge(position)}
                >
                  Purge this letter
                </button>
                <button type="button" data-testid="detail-close" onClick=${props.onClose}>Close</button>
              </div>
              <${JsonView} value=${d.event} label=${`The event at position ${position}`} />`
    }
  </section>`;
}
