/**
 * The Dead letters view (admin only). `#/dead-letters` lists the groups that have dead letters;
 * `#/dead-letters/<group>` shows a group's dead letters grouped by normalised error, the letters of
 * an error group a page at a time, one letter inspected, and the actions: redrive one, an error
 * group or all; purge one, an error group or all, each purge (and each redrive of many) behind a
 * confirmation dialog. Many letters are redriven or purged in chunks of 1,000 with a progress bar
 * that can be cancelled between chunks. After any action everything is read again from the hub
 * (and every 5 s), so a letter that failed again shows its new error, never the old one.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError, getJson, sendJson, type Me } from '../api.js';
import { href } from '../router.js';
import { count, duration, ErrorLine, html, usePoll } from '../ui.js';
import { groupPath, runInChunks, type ChunkTarget, type ErrorGroup } from './dead-letters-api.js';
import { ErrorLetters, LetterDetail, when, type LetterActions } from './dead-letters-letters.js';

/** The view reads everything again this often (ms) while no action runs. */
const REFRESH_MS = 5000;

interface GroupSummary {
  name: string;
  pending: number;
  lag: number;
  deadLetters: number;
}

export function DeadLettersView(props: { arg: string | undefined; me: Me | undefined; generation: number }) {
  const { arg, me, generation } = props;
  // The shell hides this view from non-admins; the guard stays here too, and the hub refuses anyway.
  if (me?.admin !== true) {
    return html`<section aria-labelledby="dead-letters-title">
      <h2 id="dead-letters-title">Dead letters</h2>
      <p class="muted">Dead letters need an admin token.</p>
    </section>`;
  }
  return arg === undefined
    ? html`<${GroupList} generation=${generation} />`
    : html`<${GroupDeadLetters} key=${arg} group=${arg} generation=${generation} />`;
}

/** The groups that have dead letters, each linking to its page. */
function GroupList({ generation }: { generation: number }) {
  const groups = usePoll(() => getJson<{ groups: GroupSummary[] }>('/v1/groups'), REFRESH_MS, [generation]);
  const dead = (groups.value?.groups ?? []).filter((g) => g.deadLetters > 0);
  return html`<section aria-labelledby="dead-letters-title">
    <h2 id="dead-letters-title">Dead letters</h2>
    <${ErrorLine} error=${groups.error} />
    ${
      groups.loading
        ? html`<p class="muted">Loading groups…</p>`
        : dead.length === 0
          ? html`<p data-testid="no-dead-letters">No group has dead letters.</p>`
          : html`<table class="dl-groups" data-testid="dead-groups">
              <caption class="dl-sr">
                Groups with dead letters
              </caption>
              <thead>
                <tr>
                  <th scope="col">group</th>
                  <th class="num" scope="col">dead letters</th>
                  <th class="num" scope="col">pending</th>
                  <th class="num" scope="col">lag</th>
                </tr>
              </thead>
              <tbody>
                ${dead.map(
                  (g) =>
                    html`<tr key=${g.name}>
                      <td><a href=${href('dead-letters', g.name)}>${g.name}</a></td>
                      <td class="num">${count(g.deadLetters)}</td>
                      <td class="num">${count(g.pending)}</td>
                      <td class="num">${count(g.lag)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
  </section>`;
}

/** An error group as the table shows it (the hub gives each one an example raw error). */
type ErrorRow = ErrorGroup;

async function loadErrors(group: string): Promise<{ rows: ErrorRow[]; scanned: number; truncated: boolean }> {
  const reply = await getJson<{ errors: ErrorGroup[]; scanned: number; truncated: boolean }>(
    groupPath(group, '/dead-letters/errors'),
  );
  const rows = reply.errors;
  return { rows, scanned: reply.scanned, truncated: reply.truncated };
}

/** A question the confirmation dialog asks, and what to do on yes. */
interface Ask {
  title: string;
  body: string;
  confirm: string;
  run: () => void;
}

/** A chunked redrive or purge, as the progress bar shows it. */
interface Job {
  label: string;
  verb: 'redriven' | 'purged';
  done: number;
  total: number;
  elapsedMs: number;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  error?: string;
}

const errorKey = (error: string | null) => (error === null ? '' : `e:${error}`);
const errorText = (error: string | null) => (error === null ? '(no error)' : error);
const letters = (n: number) => `${count(n)} dead letter${n === 1 ? '' : 's'}`;

/** One group's dead letters: its error groups, letters, one inspected letter, and the actions. */
function GroupDeadLetters({ group, generation }: { group: string; generation: number }) {
  const [tick, setTick] = useState(0);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [inspected, setInspected] = useState<number | undefined>(undefined);
  const [message, setMessage] = useState('');
  const [job, setJob] = useState<Job | undefined>(undefined);
  const [ask, setAsk] = useState<Ask | undefined>(undefined);
  const cancel = useRef({ value: false });
  const opener = useRef<HTMLElement | null>(null);
  const busy = job?.state === 'running';
  const reload = () => setTick((t) => t + 1);

  useEffect(() => {
    if (busy || ask !== undefined) return;
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [busy, ask]);
  useEffect(() => () => void (cancel.current.value = true), []);

  const info = usePoll(() => getJson<GroupSummary>(groupPath(group)), 0, [group, generation, tick]);
  const errors = usePoll(() => loadErrors(group), 0, [group, generation, tick]);
  const total = info.value?.deadLetters ?? 0;

  const fail = (error: unknown) => setMessage(`Failed: ${describeError(error)}`);
  const one = (action: 'redrive' | 'purge', position: number) =>
    sendJson<{ redriven?: number; purged?: number }>(groupPath(group, `/dead-letters/${action}`), {
      positions: [position],
    }).then((reply) => {
      const n = reply.redriven ?? reply.purged ?? 0;
      setMessage(
        n === 0
          ? `Position ${position} was no longer a dead letter.`
          : `Position ${position} ${action === 'redrive' ? 'redriven: it is delivered again' : 'purged'}.`,
      );
    }, fail);

  const runJob = async (target: ChunkTarget, expected: number, label: string) => {
    const verb = target.action === 'redrive' ? 'redriven' : 'purged';
    const mine = { value: false };
    cancel.current = mine;
    const started = performance.now();
    const elapsedMs = () => performance.now() - started;
    setMessage('');
    setJob({ label, verb, done: 0, total: expected, elapsedMs: 0, state: 'running' });
    const ticker = setInterval(
      () => setJob((j) => (j && j.state === 'running' ? { ...j, elapsedMs: elapsedMs() } : j)),
      250,
    );
    try {
      const done = await runInChunks(
        target,
        (n) => setJob((j) => j && { ...j, done: n, total: Math.max(j.total, n), elapsedMs: elapsedMs() }),
        () => mine.value,
      );
      setJob((j) => j && { ...j, done, elapsedMs: elapsedMs(), state: mine.value ? 'cancelled' : 'done' });
    } catch (error) {
      setJob((j) => j && { ...j, elapsedMs: elapsedMs(), state: 'failed', error: describeError(error) });
    } finally {
      clearInterval(ticker);
      reload();
    }
  };

  const actions: LetterActions = {
    busy,
    inspect: (position) => {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      setInspected(position);
    },
    redrive: (position) => void one('redrive', position).finally(reload),
    purge: (position) =>
      setAsk({
        title: `Purge position ${position}?`,
        body: `The dead letter at position ${position} of ${group} is deleted for good. It cannot be redriven afterwards.`,
        confirm: 'Purge',
        run: () => void one('purge', position).finally(reload),
      }),
  };
  const redriveGroup = (row: ErrorRow) =>
    setAsk({
      title: `Redrive ${letters(row.count)}?`,
      body: `Every dead letter of ${group} with the error "${errorText(row.error)}" is delivered again to the group's members.`,
      confirm: 'Redrive',
      run: () =>
        void runJob(
          { group, action: 'redrive', error: row.error },
          row.count,
          `Redriving "${errorText(row.error)}"`,
        ),
    });
  const purgeGroup = (row: ErrorRow) =>
    setAsk({
      title: `Purge ${letters(row.count)}?`,
      body: `Every dead letter of ${group} with the error "${errorText(row.error)}" is deleted for good.`,
      confirm: 'Purge',
      run: () =>
        void runJob(
          { group, action: 'purge', error: row.error },
          row.count,
          `Purging "${errorText(row.error)}"`,
        ),
    });
  const redriveAll = () =>
    setAsk({
      title: `Redrive all ${letters(total)}?`,
      body: `Every dead letter of ${group} is delivered again to the group's members.`,
      confirm: 'Redrive all',
      run: () => void runJob({ group, action: 'redrive' }, total, `Redriving every dead letter of ${group}`),
    });
  const purgeAll = () =>
    setAsk({
      title: `Purge all ${letters(total)}?`,
      body: `Every dead letter of ${group} is deleted for good.`,
      confirm: 'Purge all',
      run: () => void runJob({ group, action: 'purge' }, total, `Purging every dead letter of ${group}`),
    });
  const toggle = (key: string) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (!next.delete(key)) next.add(key);
      return next;
    });

  const rows = errors.value?.rows ?? [];
  return html`<section class="dead-letters" aria-labelledby="dead-letters-title">
    <p class="muted">
      <a href=${href('dead-letters')}>All groups with dead letters</a>${' · '}<a href=${href('groups', group)}
        >Group ${group}</a
      >
    </p>
    <h2 id="dead-letters-title">Dead letters of ${group}</h2>
    <${ErrorLine} error=${info.error ?? errors.error} />
    <p data-testid="summary">
      ${info.value === undefined ? '…' : letters(total)}${rows.length === 0 ? '' : ` in ${count(rows.length)} error group${rows.length === 1 ? '' : 's'}`}${
        errors.value?.truncated === true
          ? ` (errors counted over the first ${count(errors.value.scanned)})`
          : ''
      }
    </p>
    <div class="dl-toolbar">
      <button type="button" data-testid="redrive-all" disabled=${busy || total === 0} onClick=${redriveAll}>
        Redrive all
      </button>
      <button
        type="button"
        class="danger"
        data-testid="purge-all"
        disabled=${busy || total === 0}
        onClick=${purgeAll}
      >
        Purge all
      </button>
      <button type="button" data-testid="reload" onClick=${reload}>Reload</button>
    </div>
    <p class="status" role="status" data-testid="message">${message}</p>
    ${job === undefined ? null : html`<${Progress} job=${job} onCancel=${() => (cancel.current.value = true)} />`}
    ${
      rows.length === 0
        ? errors.loading
          ? html`<p class="muted">Loading…</p>`
          : html`<p data-testid="no-errors">No dead letters.</p>`
        : html`<table class="dl-errors" data-testid="error-groups">
            <caption class="dl-sr">
              Dead letters grouped by normalised error
            </caption>
            <thead>
              <tr>
                <th scope="col">error (normalised)</th>
                <th class="num" scope="col">count</th>
                <th scope="col">first seen</th>
                <th scope="col">last seen</th>
                <th scope="col">example</th>
                <th scope="col"><span class="dl-sr">actions</span></th>
              </tr>
            </thead>
            <tbody>
              ${rows.map((row, i) => {
                const key = errorKey(row.error);
                const open = expanded.has(key);
                const text = errorText(row.error);
                return html`<tr key=${key} data-testid="error-row" data-error=${text} data-count=${row.count}>
                    <td class="dl-error"><code>${text}</code></td>
                    <td class="num" data-testid="error-count">${count(row.count)}</td>
                    <td><time datetime=${row.firstDeadAt}>${when(row.firstDeadAt)}</time></td>
                    <td><time datetime=${row.lastDeadAt}>${when(row.lastDeadAt)}</time></td>
                    <td class="dl-error" data-testid="error-example">${row.example ?? ''}</td>
                    <td class="dl-actions">
                      <button
                        type="button"
                        data-testid="toggle-letters"
                        aria-expanded=${open}
                        aria-controls=${open ? `dl-letters-${i}` : undefined}
                        aria-label=${`Letters with ${text}`}
                        onClick=${() => toggle(key)}
                      >
                        Letters
                      </button>
                      <button
                        type="button"
                        data-testid="redrive-group"
                        aria-label=${`Redrive ${letters(row.count)} with ${text}`}
                        disabled=${busy}
                        onClick=${() => redriveGroup(row)}
                      >
                        Redrive
                      </button>
                      <button
                        type="button"
                        class="danger"
                        data-testid="purge-group"
                        aria-label=${`Purge ${letters(row.count)} with ${text}`}
                        disabled=${busy}
                        onClick=${() => purgeGroup(row)}
                      >
                        Purge
                      </button>
                    </td>
                  </tr>
                  ${
                    open
                      ? html`<tr key=${`${key}-letters`} class="dl-expanded">
                          <td colspan="6">
                            <${ErrorLetters}
                              id=${`dl-letters-${i}`}
                              group=${group}
                              error=${row.error}
                              tick=${tick}
                              actions=${actions}
                            />
                          </td>
                        </tr>`
                      : null
                  }`;
              })}
            </tbody>
          </table>`
    }
    ${
      inspected === undefined
        ? null
        : html`<${LetterDetail}
            group=${group}
            position=${inspected}
            tick=${tick}
            actions=${actions}
            onClose=${() => {
              setInspected(undefined);
              // Back to the button that opened it, when it is still there.
              if (opener.current?.isConnected === true) opener.current.focus();
            }}
          />`
    }
    <${ConfirmDialog}
      ask=${ask}
      onClose=${(yes: boolean) => {
        const asked = ask;
        setAsk(undefined);
        if (yes) asked?.run();
      }}
    />
  </section>`;
}

/** A chunked run: a progress bar, "n of N redriven", the elapsed time, and Cancel while it runs. */
function Progress({ job, onCancel }: { job: Job; onCancel: () => void }) {
  const running = job.state === 'running';
  const end =
    job.state === 'done'
      ? ` in ${duration(job.elapsedMs)}.`
      : job.state === 'cancelled'
        ? `; cancelled after ${duration(job.elapsedMs)}.`
        : job.state === 'failed'
          ? `; stopped after ${duration(job.elapsedMs)}: ${job.error ?? ''}`
          : ` · ${duration(job.elapsedMs)}`;
  return html`<div class="dl-progress" data-testid="job" data-state=${job.state}>
    <label for="dl-progress">${job.label}</label>
    <progress
      id="dl-progress"
      data-testid="progress"
      max=${Math.max(job.total, 1)}
      value=${job.done}
    ></progress>
    <span
      role="status"
      data-testid="progress-text"
      data-done=${job.done}
      data-elapsed-ms=${Math.round(job.elapsedMs)}
    >
      ${count(job.done)} of ${count(job.total)} ${job.verb}${end}
    </span>
    ${
      running
        ? html`<button type="button" data-testid="cancel-job" onClick=${onCancel}>Cancel</button>`
        : null
    }
  </div>`;
}

/**
 * A native modal `<dialog>` asking before a purge or a redrive of many: focus starts on Cancel,
 * Escape cancels, and it is labelled by its title and described by its text.
 */
function ConfirmDialog({ ask, onClose }: { ask: Ask | undefined; onClose: (yes: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (ask === undefined || d === null || d.open) return;
    d.returnValue = '';
    d.showModal();
  }, [ask]);
  return html`<dialog
    ref=${dialog}
    class="dl-dialog"
    aria-labelledby="dl-ask-title"
    aria-describedby="dl-ask-body"
    data-testid="confirm-dialog"
    onClose=${() => onClose(dialog.current?.returnValue === 'confirm')}
  >
    <form method="dialog">
      <h3 id="dl-ask-title">${ask?.title ?? ''}</h3>
      <p id="dl-ask-body">${ask?.body ?? ''}</p>
      <div class="dl-toolbar">
        <button value="cancel" autofocus data-testid="cancel">Cancel</button>
        <button value="confirm" class="danger" data-testid="confirm">${ask?.confirm ?? 'Confirm'}</button>
      </div>
    </form>
  </dialog>`;
}
