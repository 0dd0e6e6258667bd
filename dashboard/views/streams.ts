/**
 * The Streams view (`#/streams/<stream>`): a stream's events in version order, a page at a time
 * (`GET /v1/streams/<stream>?fromVersion=&limit=`), with first, previous and next pages and a jump
 * to any version. Selecting an event shows its CloudEvent and a link to its trace. A stream with
 * no events and a stream the token may not use (403: stream grants) each get a plain message.
 */
import { useEffect, useState } from 'preact/hooks';
import type { HeraldEvent } from '../../src/client/index.js';
import { ApiError, describeError, getJson, type Me } from '../api.js';
import { href, navigate } from '../router.js';
import { count, html, JsonView } from '../ui.js';

/** Events per page. */
export const STREAM_PAGE = 50;

interface StreamPage {
  stream: string;
  version: number;
  events: HeraldEvent[];
  next: number | null;
}

type Loaded =
  | { state: 'loading' }
  | { state: 'done'; page: StreamPage }
  | { state: 'forbidden'; message: string }
  | { state: 'failed'; error: string };

export function StreamsView({
  arg,
  generation,
}: {
  arg: string | undefined;
  me: Me | undefined;
  generation: number;
}) {
  const [input, setInput] = useState(arg ?? '');
  useEffect(() => setInput(arg ?? ''), [arg]);
  const submit = (e: Event) => {
    e.preventDefault();
    if (input.trim() !== '') navigate('streams', input.trim());
  };
  return html`<section aria-labelledby="streams-title">
    <h2 id="streams-title">Streams</h2>
    <form class="controls" onSubmit=${submit}>
      <label for="stream-name">Stream</label>
      <input
        id="stream-name"
        value=${input}
        spellcheck=${false}
        autocomplete="off"
        onInput=${(e: Event) => setInput((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Show stream</button>
    </form>
    ${
      arg === undefined
        ? html`<p class="muted">
            Type a stream's name; an event's stream in the Live tail or a trace links here.
          </p>`
        : html`<${StreamPages} key=${arg} stream=${arg} generation=${generation} />`
    }
  </section>`;
}

function StreamPages({ stream, generation }: { stream: string; generation: number }) {
  const [from, setFrom] = useState(1);
  const [jump, setJump] = useState('');
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [selected, setSelected] = useState<HeraldEvent | undefined>(undefined);

  useEffect(() => {
    const abort = new AbortController();
    getJson<StreamPage>(
      `/v1/streams/${encodeURIComponent(stream)}?fromVersion=${from}&limit=${STREAM_PAGE}`,
      abort.signal,
    ).then(
      (page) => {
        if (abort.signal.aborted) return;
        setLoaded({ state: 'done', page });
        setSelected((s) => page.events.find((e) => e.id === s?.id));
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        setLoaded(
          error instanceof ApiError && (error.status === 403 || error.status === 401)
            ? { state: 'forbidden', message: error.message }
            : { state: 'failed', error: describeError(error) },
        );
      },
    );
    return () => abort.abort();
  }, [stream, from, generation]);

  const page = loaded.state === 'done' ? loaded.page : undefined;
  const go = (version: number) => setFrom(Math.max(1, version));
  const onJump = (e: Event) => {
    e.preventDefault();
    const v = Number(jump);
    if (Number.isSafeInteger(v) && v >= 1) go(v);
  };
  const versions = page?.events.map((e) => e.version ?? 0) ?? [];
  const last = versions[versions.length - 1];
  const gaps = versions.some((v, i) => i > 0 && v !== versions[i - 1]! + 1);

  // Paging means nothing for a stream with no events, or one this token may not read.
  const pager = page !== undefined && page.version > 0;
  return html`<div class="stream-view">
    <div class="stream-pager" role="group" aria-label="Pages of the stream" hidden=${!pager}>
      <button type="button" data-testid="first" disabled=${from === 1} onClick=${() => go(1)}>First</button>
      <button
        type="button"
        data-testid="previous"
        disabled=${from === 1}
        onClick=${() => go(from - STREAM_PAGE)}
      >
        Previous
      </button>
      <button
        type="button"
        data-testid="next"
        disabled=${page?.next === null || page === undefined}
        onClick=${() => page?.next != null && go(page.next)}
      >
        Next
      </button>
      <form class="stream-jump" onSubmit=${onJump}>
        <label for="stream-version">Version</label>
        <input
          id="stream-version"
          type="number"
          min="1"
          inputmode="numeric"
          value=${jump}
          onInput=${(e: Event) => setJump((e.target as HTMLInputElement).value)}
        />
        <button type="submit" data-testid="jump">Go</button>
      </form>
    </div>
    ${
      loaded.state === 'loading'
        ? html`<p class="status" role="status">Loading ${stream}…</p>`
        : loaded.state === 'forbidden'
          ? html`<p class="error" role="alert" data-testid="stream-forbidden">
              This token may not read the stream <code>${stream}</code>: its stream grants do not include it.
              (${loaded.message})
            </p>`
          : loaded.state === 'failed'
            ? html`<p class="error" role="alert">${loaded.error}</p>`
            : html`<p class="status" role="status" data-testid="stream-summary">
                ${
                  page!.version === 0
                    ? html`<span data-testid="stream-empty"
                        >No events: the stream <code>${stream}</code> has none.</span
                      >`
                    : page!.events.length === 0
                      ? `No events${from <= page!.version ? ' this token may read' : ''} from version ${count(from)}; ${stream} is at version ${count(page!.version)}.`
                      : `${stream}: versions ${count(versions[0]!)} to ${count(last!)} of ${count(page!.version)}.`
                }
                ${gaps ? ' Some versions are left out: this token may not read their types.' : ''}
              </p>`
    }
    ${
      page === undefined || page.events.length === 0
        ? null
        : html`<table data-testid="stream-events" aria-label=${`Events of ${stream} by version`}>
            <thead>
              <tr>
                <th scope="col" class="num">version</th>
                <th scope="col" class="num">position</th>
                <th scope="col">type</th>
                <th scope="col">time</th>
                <th scope="col">source</th>
              </tr>
            </thead>
            <tbody>
              ${page.events.map(
                (event) =>
                  html`<tr
                    key=${event.id}
                    class=${event.id === selected?.id ? 'selected' : ''}
                    data-version=${event.version}
                  >
                    <td class="num">
                      <button
                        type="button"
                        class="link"
                        aria-pressed=${event.id === selected?.id}
                        aria-label=${`Version ${event.version}: show its CloudEvent`}
                        onClick=${() => setSelected(event.id === selected?.id ? undefined : event)}
                      >
                        ${event.version}
                      </button>
                    </td>
                    <td class="num">${event.position}</td>
                    <td>${event.type}</td>
                    <td><time datetime=${event.time}>${event.time ?? ''}</time></td>
                    <td>${event.source}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${
      selected === undefined
        ? null
        : html`<section class="detail" aria-label="Selected event" data-testid="stream-detail">
            <p>
              <strong>${selected.type}</strong
              >${` at version ${selected.version}, position ${selected.position} · `}
              <a href=${href('trace', selected.id)}>Trace</a>
            </p>
            <${JsonView} value=${selected} label="The CloudEvent" />
          </section>`
    }
  </div>`;
}
