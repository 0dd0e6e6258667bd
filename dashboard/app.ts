/**
 * Herald's dashboard: a page served by the hub at `/`, a client of the hub's public API only
 * (herald/client for live events, `GET /` and `GET /v1/stats` for the header). This first slice
 * has the header, the token field and the Live tail view.
 */
import htm from 'htm';
import { h, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { createClient, type HeraldEvent, type Subscription } from '../src/client/index.js';
import { patternError } from './pattern.js';

const html = htm.bind(h);

/** The tail keeps this many rows; older ones are dropped (stated in the page). */
export const MAX_ROWS = 1000;
const TOKEN_KEY = 'herald.dashboard.token';
declare const HERALD_HUB_URL: string | undefined;
const HUB = typeof HERALD_HUB_URL === 'string' && HERALD_HUB_URL !== '' ? HERALD_HUB_URL : location.origin;

let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
const client = createClient({ url: HUB, token: () => (token === '' ? undefined : token) });

function authHeaders(): Record<string, string> {
  return token === '' ? {} : { authorization: `Bearer ${token}` };
}

interface HubInfo {
  name?: string;
  version?: string;
  backend?: string;
  head?: number;
  error?: string;
}

async function loadInfo(): Promise<HubInfo> {
  const info: HubInfo = {};
  try {
    const index = (await (await fetch(`${HUB}/`, { headers: { accept: 'application/json' } })).json()) as {
      name?: string;
      version?: string;
    };
    info.name = index.name;
    info.version = index.version;
    const res = await fetch(`${HUB}/v1/stats`, { headers: authHeaders() });
    if (res.ok) {
      const stats = (await res.json()) as { backend?: { name?: string }; head?: number };
      info.backend = stats.backend?.name;
      info.head = stats.head;
    } else {
      info.error = res.status === 401 || res.status === 403 ? 'stats need a token' : `stats: ${res.status}`;
    }
  } catch (error) {
    info.error = error instanceof Error ? error.message : String(error);
  }
  return info;
}

function Header({ info }: { info: HubInfo }) {
  return html`<header class="top">
    <h1>${info.name ?? 'herald'} <span class="muted">${info.version ?? ''}</span></h1>
    <dl class="facts">
      <div>
        <dt>backend</dt>
        <dd data-testid="backend">${info.backend ?? '–'}</dd>
      </div>
      <div>
        <dt>head</dt>
        <dd data-testid="head">${info.head ?? '–'}</dd>
      </div>
    </dl>
    ${info.error === undefined ? null : html`<p class="muted">${info.error}</p>`}
  </header>`;
}

function TokenField({ onChange }: { onChange: () => void }) {
  const [value, setValue] = useState(token);
  const save = (e: Event) => {
    e.preventDefault();
    token = value.trim();
    if (token === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
    onChange();
  };
  return html`<form class="token" onSubmit=${save}>
    <label for="token">Token</label>
    <input
      id="token"
      type="password"
      autocomplete="off"
      value=${value}
      onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)}
      aria-describedby="token-help"
    />
    <button type="submit">Use token</button>
    <span id="token-help" class="muted">Kept in this tab's session storage, sent as a Bearer header.</span>
  </form>`;
}

interface Row {
  key: string;
  event: HeraldEvent;
}

type TailState = 'idle' | 'live' | 'paused' | 'failed';

function Tail({ generation }: { generation: number }) {
  const [pattern, setPattern] = useState('>');
  const [rows, setRows] = useState<Row[]>([]);
  const [state, setState] = useState<TailState>('idle');
  const [status, setStatus] = useState('');
  const sub = useRef<Subscription | undefined>(undefined);
  const lastId = useRef<string | undefined>(undefined);
  const pending = useRef<Row[]>([]);
  const frame = useRef(0);
  const error = patternError(pattern);

  const flush = () => {
    frame.current = 0;
    const batch = pending.current;
    pending.current = [];
    setRows((prev) => {
      const next = prev.concat(batch);
      return next.length > MAX_ROWS ? next.slice(next.length - MAX_ROWS) : next;
    });
  };

  const open = (resume: string | undefined) => {
    const s = client.subscribe(
      pattern,
      (event) => {
        pending.current.push({ key: `${event.position ?? ''}:${event.id}`, event });
        if (frame.current === 0) frame.current = requestAnimationFrame(flush);
      },
      {
        ...(resume === undefined ? { from: 'end' as const } : { lastEventId: resume }),
        onLost: (range) => setStatus(`Events ${range.from} to ${range.to} were deleted by retention.`),
        onError: (e) => {
          setStatus(e instanceof Error ? e.message : String(e));
        },
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
    setRows([]);
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
  useEffect(() => () => stop(), []);

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
    <ol class="rows" data-testid="rows" aria-label="Events">
      ${rows.map((row) => html`<${EventRow} key=${row.key} event=${row.event} />`)}
    </ol>
  </section>`;
}

function statusLine(state: TailState, count: number, status: string): string {
  const bound = `the last ${MAX_ROWS.toLocaleString('en')} are kept`;
  return `${state} · ${count} row${count === 1 ? '' : 's'} (${bound})${status === '' ? '' : ` · ${status}`}`;
}

function EventRow({ event }: { event: HeraldEvent }) {
  const stream = event.stream === undefined ? '' : `${event.stream} v${event.version ?? '?'}`;
  return html`<li class="row" data-position=${event.position}>
    <details>
      <summary>
        <span class="pos">${event.position}</span>
        <span class="type">${event.type}</span>
        <time datetime=${event.time}>${event.time}</time>
        <span class="stream">${stream}</span>
        <span class="source">${event.source}</span>
      </summary>
      <pre>${JSON.stringify(event, null, 2)}</pre>
    </details>
  </li>`;
}

function App() {
  const [info, setInfo] = useState<HubInfo>({});
  const [generation, setGeneration] = useState(0);
  // The header (name, version, backend, head) on load, on a new token, and every 5 s for the head.
  useEffect(() => {
    const load = () => void loadInfo().then(setInfo);
    load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [generation]);
  return html`<${Header} info=${info} />
    <${TokenField} onChange=${() => setGeneration((g) => g + 1)} />
    <main><${Tail} generation=${generation} /></main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
