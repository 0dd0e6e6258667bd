/**
 * Herald's dashboard: a page served by the hub at `/`, a client of the hub's public API only.
 * This file is the shell: the header (name, version, backend, head), the token field, the
 * navigation (admin views only for admin tokens, from `GET /v1/me`; the hub refuses them anyway)
 * and the view the URL's hash names. Each view is in `views/`. The Live tail stays mounted while
 * another view is shown, so a running tail keeps its rows (bounded) and its position.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentToken, getJson, loadMe, setToken, useHead, type Me } from './api.js';
import { href, useRoute, type View } from './router.js';
import { html } from './ui.js';
import { DeadLettersView } from './views/dead-letters.js';
import { GroupsView } from './views/groups.js';
import { OverviewView } from './views/overview.js';
import { StreamsView } from './views/streams.js';
import { TailView } from './views/tail.js';
import { TraceView } from './views/trace.js';

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
    const index = await getJson<{ name?: string; version?: string }>('/');
    info.name = index.name;
    info.version = index.version;
    const stats = await getJson<{ backend?: { name?: string }; head?: number }>('/v1/stats?since=1');
    info.backend = stats.backend?.name;
    info.head = stats.head;
  } catch (error) {
    info.error =
      error instanceof Error && 'status' in error && (error.status === 401 || error.status === 403)
        ? 'Enter a token to see this hub.'
        : error instanceof Error
          ? error.message
          : String(error);
  }
  return info;
}

function Header({ info, me }: { info: HubInfo; me: Me | undefined }) {
  const seen = useHead();
  const head = Math.max(info.head ?? 0, seen);
  const who =
    me === undefined
      ? 'no access'
      : me.auth
        ? `${me.id}${me.admin ? ' (admin)' : ''}`
        : 'no auth (everything)';
  return html`<header class="top">
    <h1>${info.name ?? 'herald'} <span class="muted">${info.version ?? ''}</span></h1>
    <dl class="facts">
      <div>
        <dt>backend</dt>
        <dd data-testid="backend">${info.backend ?? '–'}</dd>
      </div>
      <div>
        <dt>head</dt>
        <dd data-testid="head">${info.head === undefined && seen === 0 ? '–' : head}</dd>
      </div>
      <div>
        <dt>signed in as</dt>
        <dd data-testid="who">${who}</dd>
      </div>
    </dl>
    ${info.error === undefined ? null : html`<p class="error" role="alert">${info.error}</p>`}
  </header>`;
}

function TokenField({ onChange }: { onChange: () => void }) {
  const [value, setValue] = useState(currentToken());
  const save = (e: Event) => {
    e.preventDefault();
    setToken(value);
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

const TITLES: Record<View, string> = {
  overview: 'Overview',
  tail: 'Live tail',
  trace: 'Trace',
  streams: 'Streams',
  groups: 'Groups',
  'dead-letters': 'Dead letters',
};
/** Views that only admins may use (the hub answers 403 to anyone else). */
const ADMIN_VIEWS: ReadonlySet<View> = new Set(['groups', 'dead-letters']);

function Nav({ current, me }: { current: View; me: Me | undefined }) {
  const views = (Object.keys(TITLES) as View[]).filter((v) => !ADMIN_VIEWS.has(v) || me?.admin === true);
  return html`<nav aria-label="Views">
    <ul>
      ${views.map(
        (v) =>
          html`<li>
            <a href=${href(v)} aria-current=${v === current ? 'page' : undefined}>${TITLES[v]}</a>
          </li>`,
      )}
    </ul>
  </nav>`;
}

function App() {
  const [info, setInfo] = useState<HubInfo>({});
  const [me, setMe] = useState<Me | undefined>(undefined);
  const [generation, setGeneration] = useState(0);
  const route = useRoute();
  // The header on load and on a new token, then every 5 s; the tail moves the head in between.
  useEffect(() => {
    const load = () => void loadInfo().then(setInfo);
    load();
    void loadMe().then(setMe);
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [generation]);
  useEffect(() => {
    document.title = `${TITLES[route.view]} · Herald dashboard`;
  }, [route.view]);
  const props = { arg: route.arg, me, generation };
  const admin = ADMIN_VIEWS.has(route.view) && me !== undefined && !me.admin;
  return html`<${Header} info=${info} me=${me} />
    <${TokenField} onChange=${() => setGeneration((g) => g + 1)} />
    <${Nav} current=${route.view} me=${me} />
    <main>
      ${
        admin
          ? html`<p class="error" role="alert">
              This view needs an admin token; the hub refuses it to ${me.id}.
            </p>`
          : route.view === 'overview'
            ? html`<${OverviewView} ...${props} />`
            : route.view === 'tail'
              ? null
              : route.view === 'trace'
                ? html`<${TraceView} ...${props} />`
                : route.view === 'streams'
                  ? html`<${StreamsView} ...${props} />`
                  : route.view === 'groups'
                    ? html`<${GroupsView} ...${props} />`
                    : html`<${DeadLettersView} ...${props} />`
      }
      <div hidden=${route.view !== 'tail'}><${TailView} generation=${generation} /></div>
    </main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
