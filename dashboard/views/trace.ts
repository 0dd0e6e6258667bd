/**
 * The Trace view (`#/trace/<event or correlation id>`): the events of one correlation as a tree of
 * causes (`causationid`), with the time from each event's cause and from its root. The tree
 * follows the WAI-ARIA tree pattern: one tab stop, arrow keys move (Right and Left open, close and
 * go to a child or the parent), Home and End; the selected event's CloudEvent shows below.
 * Loading and the rules of the tree are in `trace-tree.ts`.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { describeError, type Me } from '../api.js';
import { href, navigate } from '../router.js';
import { count, duration, ErrorLine, html, JsonView } from '../ui.js';
import { loadTrace, MAX_TRACE_EVENTS, type OutsideCause, type Trace, type TraceNode } from './trace-tree.js';

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
  const walk = (node: TraceNode) => {
    out.push(node);
    if (!collapsed.has(node.event.id)) node.children.forEach(walk);
  };
  roots.forEach(walk);
  return out;
}

function TraceTree({ trace }: { trace: Trace }) {
  const first = trace.origin?.id ?? trace.roots[0]?.event.id;
  const [selectedId, setSelectedId] = useState(first);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const tree = useRef<HTMLUListElement>(null);
  const moved = useRef(false);
  const visible = visibleNodes(trace.roots, collapsed);
  const selected = trace.nodes.find((n) => n.event.id === selectedId) ?? trace.nodes[0];

  // Focus follows the selection when the keyboard moved it (never on load: no focus is stolen).
  useLayoutEffect(() => {
    if (!moved.current) return;
    moved.current = false;
    tree.current?.querySelector<HTMLElement>(`[data-id="${CSS.escape(selected?.event.id ?? '')}"]`)?.focus();
  });

  const select = (node: TraceNode | undefined) => {
    if (node === undefined) return;
    moved.current = true;
    setSelectedId(node.event.id);
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
    const at = visible.indexOf(selected);
    const open = selected.children.length > 0 && !collapsed.has(selected.event.id);
    switch (e.key) {
      case 'ArrowDown':
        select(visible[at + 1]);
        break;
      case 'ArrowUp':
        select(visible[at - 1]);
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

  const roots = trace.roots.length;
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
    <div class="trace">
      <div class="trace-head" aria-hidden="true">
        <span>type</span><span>source</span><span>time</span><span>after cause</span><span>from root</span
        ><span>position</span><span>stream / version</span>
      </div>
      <ul
        class="trace-tree"
        role="tree"
        ref=${tree}
        aria-label="Events by cause; arrow keys move, Right and Left open and close"
        data-testid="trace-tree"
        onKeyDown=${onKey}
      >
        ${visible.map(
          (node) =>
            html`<${TraceRow}
              key=${node.event.id}
              node=${node}
              siblings=${node.parent?.children ?? trace.roots}
              expanded=${node.children.length === 0 ? undefined : !collapsed.has(node.event.id)}
              selected=${node === selected}
              origin=${node.event.id === trace.origin?.id}
              outside=${node.event.causationid === undefined ? undefined : trace.outside.get(node.event.causationid)}
              onSelect=${select}
              onToggle=${toggle}
            />`,
        )}
      </ul>
    </div>
    ${selected === undefined ? null : html`<${TraceDetail} node=${selected} trace=${trace} />`}`;
}

function TraceRow({
  node,
  siblings,
  expanded,
  selected,
  origin,
  outside,
  onSelect,
  onToggle,
}: {
  node: TraceNode;
  siblings: readonly TraceNode[];
  expanded: boolean | undefined;
  selected: boolean;
  origin: boolean;
  outside: OutsideCause | undefined;
  onSelect: (node: TraceNode) => void;
  onToggle: (node: TraceNode, open: boolean) => void;
}) {
  const { event } = node;
  return html`<li
    role="treeitem"
    class=${`node${selected ? ' selected' : ''}${origin ? ' origin' : ''}`}
    aria-level=${node.level}
    aria-setsize=${siblings.length}
    aria-posinset=${siblings.indexOf(node) + 1}
    aria-expanded=${expanded}
    aria-selected=${selected}
    tabindex=${selected ? 0 : -1}
    data-id=${event.id}
    data-level=${node.level}
    data-parent=${node.parent?.event.id ?? ''}
    onClick=${() => onSelect(node)}
  >
    <span class="type" style=${`padding-left:${(node.level - 1) * 1.25}rem`}>
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
      ${event.type}${origin ? html` <span class="badge">opened</span>` : null}
    </span>
    <span class="source">${event.source}</span>
    <time datetime=${event.time}>${event.time ?? ''}</time>
    <span class="delta" data-testid="since-parent"
      >${node.parent === undefined ? 'root' : delta(node.sinceParent)}</span
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
    ${
      node.parent === undefined && event.causationid !== undefined && event.causationid !== event.id
        ? html`<span class="cause" data-testid="outside-cause"
            >${causeText(event.causationid, outside)}</span
          >`
        : null
    }
  </li>`;
}

function causeText(cause: string, outside: OutsideCause | undefined): string {
  if (outside === undefined || outside.kind === 'missing')
    return `caused by ${cause} (not found / not readable)`;
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
