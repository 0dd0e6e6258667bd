/**
 * The Live tail: events matching a NATS pattern as they are appended, from `herald/client`'s SSE
 * subscription. Pause closes the stream and Resume reopens it after the last event seen
 * (`Last-Event-ID`), so nothing is lost or repeated. The list is virtualised (only the rows in
 * view are in the DOM) and bounded (the newest `MAX_ROWS` are kept), so 1,000 events a second
 * cost one render per frame; the list is a listbox driven by the arrow keys.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { HeraldEvent, Subscription } from '../../src/client/index.js';
import { client, noteHead } from '../api.js';
import { href } from '../router.js';
import { html, JsonView } from '../ui.js';
import { patternError } from './pattern.js';

/** The tail keeps this many rows; older ones are dropped (stated in the page). */
export const MAX_ROWS = 10_000;
/** The height of a row in pixels (the CSS sets the same), so the list can be virtualised. */
const ROW_HEIGHT = 26;
/** Rows rendered above and below the visible ones. */
const OVERSCAN = 20;

interface Row {
  key: number;
  event: HeraldEvent;
}

type TailState = 'idle' | 'live' | 'paused' | 'failed';

export function TailView({ generation }: { generation: number }) {
  const [pattern, setPattern] = useState('>');
  const [rows, setRows] = useState<Row[]>([]);
  const [state, setState] = useState<TailState>('idle');
  const [status, setStatus] = useState('');
  const [selected, setSelected] = useState<Row | undefined>(undefined);
  const sub = useRef<Subscription | undefined>(undefined);
  const lastId = useRef<string | undefined>(undefined);
  const pending = useRef<Row[]>([]);
  const serial = useRef(0);
  const frame = useRef(0);
  const error = patternError(pattern);

  const flush = () => {
    frame.current = 0;
    const batch = pending.current;
    pending.current = [];
    noteHead(batch[batch.length - 1]?.event.position);
    setRows((prev) => {
      const next =
        prev.length + batch.length > MAX_ROWS
          ? prev.slice(prev.length + batch.length - MAX_ROWS)
          : prev.slice();
      for (const row of batch.length > MAX_ROWS ? batch.slice(batch.length - MAX_ROWS) : batch)
        next.push(row);
      return next;
    });
  };

  const open = (resume: string | undefined) => {
    const s = client.subscribe(
      pattern,
      (event) => {
        pending.current.push({ key: ++serial.current, event });
        if (frame.current === 0) frame.current = requestAnimationFrame(flush);
      },
      {
        ...(resume === undefined ? { from: 'end' as const } : { lastEventId: resume }),
        onLost: (range) => setStatus(`Events ${range.from} to ${range.to} were deleted by retention.`),
        onError: (e) => setStatus(e instanceof Error ? e.message : String(e)),
      },
    );
    sub.current = s;
    setState('live');
    setStatus(resume === undefined ? 'Connecting…' : `Resuming after ${resume}…`);
    s.ready.then(
      () => setStatus(resume === undefined ? 'Live from the head.' : `Live, resumed after ${resume}.`),
      () => undefined,
    );
    s.closed.catch((e: unknown) => {
      if (sub.current !== s) return;
      setState('failed');
      setStatus(e instanceof Error ? e.message : String(e));
    });
  };

  const stop = () => {
    const s = sub.current;
    if (s === undefined) return;
    lastId.current = s.lastEventId ?? lastId.current;
    sub.current = undefined;
    s.close();
  };

  const start = (e?: Event) => {
    e?.preventDefault();
    if (error !== undefined) return;
    stop();
    lastId.current = undefined;
    pending.current = [];
    setRows([]);
    setSelected(undefined);
    open(undefined);
  };
  const pause = () => {
    stop();
    setState('paused');
    setStatus(`Paused after ${lastId.current ?? 'the head'}; resume loses nothing.`);
  };
  const resume = () => open(lastId.current);

  // A new token restarts a running tail where it was.
  useEffect(() => {
    if (generation === 0 || sub.current === undefined) return;
    stop();
    open(lastId.current);
  }, [generation]);
  useEffect(
    () => () => {
      stop();
      cancelAnimationFrame(frame.current);
    },
    [],
  );

  return html`<section aria-labelledby="tail-title">
    <h2 id="tail-title">Live tail</h2>
    <form class="controls" onSubmit=${start}>
      <label for="pattern">Pattern</label>
      <input
        id="pattern"
        value=${pattern}
        spellcheck=${false}
        autocomplete="off"
        aria-invalid=${error !== undefined}
        aria-describedby="pattern-error pattern-help"
        onInput=${(e: Event) => setPattern((e.target as HTMLInputElement).value)}
      />
      <button type="submit" disabled=${error !== undefined}>${state === 'idle' ? 'Start' : 'Restart'}</button>
      <button type="button" onClick=${pause} disabled=${state !== 'live'}>Pause</button>
      <button type="button" onClick=${resume} disabled=${state !== 'paused'}>Resume</button>
    </form>
    <p id="pattern-help" class="muted">
      NATS syntax: tokens separated by <code>.</code>, <code>*</code> one token, <code>></code> the rest.
    </p>
    <p id="pattern-error" class="error" aria-live="polite" data-testid="pattern-error">${error ?? ''}</p>
    <p class="status" role="status" data-testid="status">${statusLine(state, rows.length, status)}</p>
    <${EventList} rows=${rows} selected=${selected} onSelect=${setSelected} />
    ${selected === undefined ? null : html`<${EventDetail} event=${selected.event} />`}
  </section>`;
}

function statusLine(state: TailState, count: number, status: string): string {
  const bound = `the last ${MAX_ROWS.toLocaleString('en')} are kept`;
  return `${state} · ${count.toLocaleString('en')} row${count === 1 ? '' : 's'} (${bound})${status === '' ? '' : ` · ${status}`}`;
}

/**
 * The rows as a virtualised listbox: only the rows in view (and `OVERSCAN` either side) are
 * rendered. It follows the newest row while scrolled to the bottom, and stays put otherwise.
 * Arrow keys, Home, End, Page Up/Down move the selection; the selected row's JSON shows below.
 */
function EventList({
  rows,
  selected,
  onSelect,
}: {
  rows: Row[];
  selected: Row | undefined;
  onSelect: (row: Row) => void;
}) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 480 });
  const follow = useRef(true);
  const total = rows.length * ROW_HEIGHT;

  useLayoutEffect(() => {
    const el = viewport.current;
    if (el === null) return;
    if (follow.current && el.scrollTop !== total - el.clientHeight) {
      el.scrollTop = Math.max(0, total - el.clientHeight);
    }
    if (scroll.height !== el.clientHeight || scroll.top !== el.scrollTop) {
      setScroll({ top: el.scrollTop, height: el.clientHeight });
    }
  }, [rows]);

  const onScroll = () => {
    const el = viewport.current;
    if (el === null) return;
    follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT;
    setScroll({ top: el.scrollTop, height: el.clientHeight });
  };

  const first = Math.max(0, Math.floor(scroll.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scroll.top + scroll.height) / ROW_HEIGHT) + OVERSCAN);
  const index = selected === undefined ? -1 : rows.findIndex((r) => r.key === selected.key);

  const move = (to: number) => {
    const row = rows[Math.max(0, Math.min(rows.length - 1, to))];
    if (row === undefined) return;
    onSelect(row);
    const el = viewport.current;
    const i = rows.indexOf(row);
    if (el === null) return;
    if (i * ROW_HEIGHT < el.scrollTop) el.scrollTop = i * ROW_HEIGHT;
    else if ((i + 1) * ROW_HEIGHT > el.scrollTop + el.clientHeight)
      el.scrollTop = (i + 1) * ROW_HEIGHT - el.clientHeight;
  };
  const page = Math.max(1, Math.floor(scroll.height / ROW_HEIGHT) - 1);
  const onKey = (e: KeyboardEvent) => {
    const at = index === -1 ? rows.length : index;
    const to: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at - 1,
      PageDown: at + page,
      PageUp: at - page,
      Home: 0,
      End: rows.length - 1,
    };
    const target = to[e.key];
    if (target === undefined) return;
    e.preventDefault();
    move(target);
  };

  return html`<div class="tail">
    <div class="tail-head" aria-hidden="true">
      <span>position</span><span>type</span><span>time</span><span>stream / version</span><span>source</span>
    </div>
    <div class="viewport" ref=${viewport} onScroll=${onScroll}>
      <ol
        class="rows"
        role="listbox"
        tabindex="0"
        aria-label="Events, newest last; arrow keys select one to show its CloudEvent"
        aria-activedescendant=${selected === undefined || index < first || index >= last ? undefined : `ev-${selected.key}`}
        data-testid="rows"
        style=${`height:${total}px`}
        onKeyDown=${onKey}
      >
        ${rows
          .slice(first, last)
          .map(
            (row, i) =>
              html`<${EventRow}
                key=${row.key}
                row=${row}
                top=${(first + i) * ROW_HEIGHT}
                selected=${row.key === selected?.key}
                onSelect=${onSelect}
              />`,
          )}
      </ol>
    </div>
  </div>`;
}

function EventRow({
  row,
  top,
  selected,
  onSelect,
}: {
  row: Row;
  top: number;
  selected: boolean;
  onSelect: (row: Row) => void;
}) {
  const { event } = row;
  const stream = event.stream === undefined ? '—' : `${event.stream} v${event.version ?? '?'}`;
  return html`<li
    id=${`ev-${row.key}`}
    class=${selected ? 'row selected' : 'row'}
    role="option"
    aria-selected=${selected}
    data-position=${event.position}
    style=${`top:${top}px`}
    onClick=${() => onSelect(row)}
  >
    <span class="pos">${event.position}</span>
    <span class="type">${event.type}</span>
    <time datetime=${event.time}>${event.time}</time>
    <span class="stream">${stream}</span>
    <span class="source">${event.source}</span>
  </li>`;
}

/** The selected event: links to its trace and its stream, and the whole CloudEvent as JSON. */
function EventDetail({ event }: { event: HeraldEvent }) {
  return html`<section class="detail" aria-label="Selected event" data-testid="event-detail">
    <p>
      <strong>${event.type}</strong> at position ${event.position}${' · '}
      <a href=${href('trace', event.id)}>Trace</a>
      ${event.stream === undefined ? null : html`${' · '}<a href=${href('streams', event.stream)}>Stream ${event.stream}</a>`}
    </p>
    <${JsonView} value=${event} label="The CloudEvent" />
  </section>`;
}
