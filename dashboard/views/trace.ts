/**
 * The Trace view (`#/trace/<event or correlation id>`): the events of one correlation as a tree of
 * causes (`causationid`), with the time from each event's cause and from its root. The tree
 * follows the WAI-ARIA tree pattern: one tab stop (the tree, pointing at the selected row with
 * `aria-activedescendant`), Up and Down, Right and Left (open, close, go to the first child or
 * the parent), Home, End, Page Up and Down, Enter or Space to open or close; the selected event's
 * CloudEvent shows below. Only the rows in view are rendered, so 10,000 events stay quick.
 * Loading and the rules of the tree are in `trace-tree.ts`.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { describeError, type Me } from '../api.js';
import { href, navigate } from '../router.js';
import { count, duration, ErrorLine, html, JsonView } from '../ui.js';
import {
  loadTrace,
  MAX_TRACE_EVENTS,
  type OutsideCause,
  type Stored,
  type Trace,
  type TraceNode,
} from './trace-tree.js';

/** Levels deeper than this are indented no further; their rows show the level (so does `aria-level`). */
const MAX_INDENT = 8;

type Loaded =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'done'; trace: Trace | undefined }
  | { state: 'failed'; error: string };

/** A signed duration: `+1.5 s`, `−20 ms` (a clock behind its cause's). */
function delta(ms: number | undefined): string {
  if (ms === undefined) return '';
  return `${ms < 0 ? '−' : '+'}${duration(Math.abs(ms))}`;
}

export function TraceView({
  arg,
  generation,
}: {
  arg: string | undefined;
  me: Me | undefined;
  generation: number;
}) {
  const [input, setInput] = useState(arg ?? '');
  const [loaded, setLoaded] = useState<Loaded>({ state: 'idle' });
  useEffect(() => setInput(arg ?? ''), [arg]);
  useEffect(() => {
    if (arg === undefined) {
      setLoaded({ state: 'idle' });
      return;
    }
    const abort = new AbortController();
    setLoaded({ state: 'loading' });
    loadTrace(arg, abort.signal).then(
      (trace) => !abort.signal.aborted && setLoaded({ state: 'done', trace }),
      (error: unknown) =>
        !abort.signal.aborted && setLoaded({ state: 'failed', error: describeError(error) }),
    );
    return () => abort.abort();
  }, [arg, generation]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (input.trim() !== '') navigate('trace', input.trim());
  };
  return html`<section aria-labelledby="trace-title">
    <h2 id="trace-title">Trace</h2>
    <form class="controls" onSubmit=${submit}>
      <label for="trace-id">Event or correlation id</label>
      <input
        id="trace-id"
        value=${input}
        spellcheck=${false}
        autocomplete="off"
        onInput=${(e: Event) => setInput((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Show trace</button>
    </form>
    ${
      loaded.state === 'idle'
        ? html`<p class="muted">
            Paste an event id (the Live tail's <em>Trace</em> link opens one) or a correlation id.
          </p>`
        : loaded.state === 'loading'
          ? html`<p class="status" role="status">Loading the trace of ${arg}…</p>`
          : loaded.state === 'failed'
            ? html`<${ErrorLine} error=${loaded.error} />`
            : loaded.trace === undefined
              ? html`<p class="status" role="status" data-testid="trace-empty">
                  No event has the id or the correlation id <code>${arg}</code>, or this token may not read
                  it.
                </p>`
              : html`<${TraceTree} key=${`${arg}\u0000${generation}`} trace=${loaded.trace} />`
    }
  </section>`;
}

/** The nodes shown: every node whose ancestors are all expanded, in tree order. */
function visibleNodes(roots: readonly TraceNode[], collapsed: ReadonlySet<string>): TraceNode[] {
  const out: TraceNode[] = [];
  const stack = [...roots].reverse();
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    out.push(node);
    if (collapsed.has(node.event.id)) continue;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return out;
}

/** The height of a row in pixels (the CSS sets the same): the tree is virtualised like the tail. */
const ROW_HEIGHT = 26;
/** Rows rendered above and below the visible ones. */
const OVERSCAN = 15;

function TraceTree({ trace }: { trace: Trace }) {
  const first = trace.origin?.id ?? trace.roots[0]?.event.id;
  const [selectedId, setSelectedId] = useState(first);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const viewport = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 480 });
  const visible = useMemo(() => visibleNodes(trace.roots, collapsed), [trace, collapsed]);
  const selected = trace.nodes.find((n) => n.event.id === selectedId) ?? trace.nodes[0];
  const index = selected === undefined ? -1 : visible.indexOf(selected);

  /** Scrolls row `i` into view (now, so the same render has it). */
  const reveal = (i: number) => {
    const el = viewport.current;
    if (el === null || i < 0) return;
    let top = el.scrollTop;
    if (i * ROW_HEIGHT < top) top = i * ROW_HEIGHT;
    else if ((i + 1) * ROW_HEIGHT > top + el.clientHeight) top = (i + 1) * ROW_HEIGHT - el.clientHeight;
    el.scrollTop = top;
    setScroll({ top: el.scrollTop, height: el.clientHeight });
  };
  // On load: the event the trace was opened from in view.
  useLayoutEffect(() => reveal(index), []);

  const select = (node: TraceNode | undefined) => {
    if (node === undefined) return;
    setSelectedId(node.event.id);
    reveal(visible.indexOf(node));
  };
  const toggle = (node: TraceNode, open: boolean) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (open) next.delete(node.event.id);
      else next.add(node.event.id);
      return next;
    });

  const onKey = (e: KeyboardEvent) => {
    if (selected === undefined) return;
    const open = selected.children.length > 0 && !collapsed.has(selected.event.id);
    const page = Math.max(1, Math.floor(scroll.height / ROW_HEIGHT) - 1);
    switch (e.key) {
      case 'ArrowDown':
        select(visible[index + 1]);
        break;
      case 'ArrowUp':
        select(visible[index - 1]);
        break;
      case 'PageDown':
        select(visible[Math.min(visible.length - 1, index + page)]);
        break;
      case 'PageUp':
        select(visible[Math.max(0, index - page)]);
        break;
      case 'Home':
        select(visible[0]);
        break;
      case 'End':
        select(visible[visible.length - 1]);
        break;
      case 'ArrowRight':
        if (selected.children.length === 0) break;
        if (open) select(selected.children[0]);
        else toggle(selected, true);
        break;
      case 'ArrowLeft':
        if (open) toggle(selected, false);
        else select(selected.parent);
        break;
      case 'Enter':
      case ' ':
        if (selected.children.length > 0) toggle(selected, !open);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const from = Math.max(0, Math.floor(scroll.top / ROW_HEIGHT) - OVERSCAN);
  const to = Math.min(visible.length, Math.ceil((scroll.top + scroll.height) / ROW_HEIGHT) + OVERSCAN);
  const roots = trace.roots.length;
  const outsideRoots = trace.roots.filter((r) => outsideCause(r.event) !== undefined);
  return html`<p class="status" role="status" data-testid="trace-summary">
      ${'Correlation '}<code>${trace.correlation}</code>${`: ${count(trace.nodes.length)} event${trace.nodes.length === 1 ? '' : 's'}, ${roots} root${roots === 1 ? '' : 's'}. `}
      ${
        trace.truncated
          ? html`<strong data-testid="trace-truncated">
              Only the first ${count(MAX_TRACE_EVENTS)} events of this correlation are shown.
            </strong>`
          : null
      }
    </p>
    ${
      outsideRoots.length === 0
        ? null
        : html`<ul class="trace-outside" aria-label="Roots caused by events outside this correlation">
            ${outsideRoots
              .slice(0, 20)
              .map(
                (r) =>
                  html`<li key=${r.event.id}>
                    ${`${r.event.type} at position ${r.event.position}: `}<span data-testid="outside-cause"
                      >${causeText(outsideCause(r.event)!, trace.outside.get(outsideCause(r.event)!))}</span
                    >
                  </li>`,
              )}
          </ul>`
    }
    <div class="trace">
      <div class="trace-head" aria-hidden="true">
        <span>type</span><span>source</span><span>time</span><span>after cause</span><span>from root</span
        ><span>position</span><span>stream / version</span>
      </div>
      <div
        class="trace-viewport"
        ref=${viewport}
        onScroll=${() => {
          const el = viewport.current;
          if (el !== null) setScroll({ top: el.scrollTop, height: el.clientHeight });
        }}
      >
        <ul
          class="trace-tree"
          role="tree"
          tabindex="0"
          aria-label="Events by cause; arrow keys move, Right and Left open and close"
          aria-activedescendant=${index < from || index >= to ? undefined : `tn-${selected!.index}`}
          data-testid="trace-tree"
          style=${`height:${visible.length * ROW_HEIGHT}px`}
          onKeyDown=${onKey}
        >
          ${visible
            .slice(from, to)
            .map(
              (node, i) =>
                html`<${TraceRow}
                  key=${node.event.id}
                  node=${node}
                  top=${(from + i) * ROW_HEIGHT}
                  siblings=${node.parent?.children ?? trace.roots}
                  expanded=${node.children.length === 0 ? undefined : !collapsed.has(node.event.id)}
                  selected=${node === selected}
                  origin=${node.event.id === trace.origin?.id}
                  onSelect=${select}
                  onToggle=${toggle}
                />`,
            )}
        </ul>
      </div>
    </div>
    ${selected === undefined ? null : html`<${TraceDetail} node=${selected} trace=${trace} />`}`;
}

/** A root's cause when it is not in the trace (the tree has no parent for it). */
function outsideCause(event: Stored): string | undefined {
  const cause = event.causationid;
  return cause === undefined || cause === event.id ? undefined : cause;
}

function TraceRow({
  node,
  top,
  siblings,
  expanded,
  selected,
  origin,
  onSelect,
  onToggle,
}: {
  node: TraceNode;
  top: number;
  siblings: readonly TraceNode[];
  expanded: boolean | undefined;
  selected: boolean;
  origin: boolean;
  onSelect: (node: TraceNode) => void;
  onToggle: (node: TraceNode, open: boolean) => void;
}) {
  const { event } = node;
  const outside = node.parent === undefined && outsideCause(event) !== undefined;
  return html`<li
    id=${`tn-${node.index}`}
    role="treeitem"
    class=${`node${selected ? ' selected' : ''}${origin ? ' origin' : ''}`}
    aria-level=${node.level}
    aria-setsize=${siblings.length}
    aria-posinset=${siblings.indexOf(node) + 1}
    aria-expanded=${expanded}
    aria-selected=${selected}
    data-id=${event.id}
    data-level=${node.level}
    data-parent=${node.parent?.event.id ?? ''}
    style=${`top:${top}px`}
    onClick=${() => onSelect(node)}
  >
    <span class="type" style=${`padding-left:${Math.min(node.level - 1, MAX_INDENT) * 1.25}rem`}>
      <span
        class="twisty"
        aria-hidden="true"
        onClick=${(e: Event) => {
          if (expanded === undefined) return;
          e.stopPropagation();
          onToggle(node, !expanded);
        }}
        >${expanded === undefined ? '·' : expanded ? '▾' : '▸'}</span
      >
      ${node.level > MAX_INDENT + 1 ? html`<span class="depth">${node.level}</span>` : null}${event.type}${
        origin ? html` <span class="badge">opened</span>` : null
      }
    </span>
    <span class="source">${event.source}</span>
    <time datetime=${event.time}>${event.time ?? ''}</time>
    <span class="delta" data-testid="since-parent"
      >${node.parent !== undefined ? delta(node.sinceParent) : outside ? 'outside' : 'root'}</span
    >
    <span class="delta" data-testid="since-root"
      >${node.parent === undefined ? '' : delta(node.sinceRoot)}</span
    >
    <span class="pos">${event.position}</span>
    <span class="stream"
      >${
        event.stream === undefined
          ? '—'
          : html`<a href=${href('streams', event.stream)} tabindex="-1">${event.stream}</a
              >${` v${event.version ?? '?'}`}`
      }</span
    >
  </li>`;
}

function causeText(cause: string, outside: OutsideCause | undefined): string {
  if (outside === undefined) return `caused by ${cause}, outside this correlation (not looked up)`;
  if (outside.kind === 'missing') return `caused by ${cause} (not found / not readable)`;
  const c = outside.event.correlationid ?? outside.event.id;
  return `caused by ${outside.event.type} ${cause}, in correlation ${c}`;
}

/** The selected event: where it sits, its links, and the whole CloudEvent. */
function TraceDetail({ node, trace }: { node: TraceNode; trace: Trace }) {
  const { event } = node;
  const cause = event.causationid;
  const outside = cause === undefined ? undefined : trace.outside.get(cause);
  return html`<section class="detail" aria-label="Selected event" data-testid="trace-detail">
    <p>
      <strong>${event.type}</strong> at position ${event.position}
      ${
        node.parent === undefined
          ? cause === undefined || cause === event.id
            ? ' · a root'
            : html`${' · '}${causeText(cause, outside)}${
                outside?.kind === 'other'
                  ? html`${' · '}<a href=${href('trace', cause)}>Trace its cause</a>`
                  : null
              }`
          : ` · caused by ${node.parent.event.type} at position ${node.parent.event.position} · ${delta(node.sinceParent)} after its cause`
      }
      ${
        event.stream === undefined
          ? null
          : html`${' · '}<a href=${href('streams', event.stream)}>Stream ${event.stream}</a>`
      }
    </p>
    <${JsonView} value=${event} label="The CloudEvent" />
  </section>`;
}
