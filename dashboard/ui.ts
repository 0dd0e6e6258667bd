/**
 * Small pieces every view shares: the `html` template tag, the JSON viewer, a polling hook and
 * formatting.
 */
import htm from 'htm';
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './api.js';

/** htm bound to Preact: tagged templates instead of JSX, so there is no JSX build step. */
export const html = htm.bind(h);

/** The whole value as indented JSON, selectable and scrollable. */
export function JsonView({ value, label }: { value: unknown; label?: string }) {
  return html`<pre class="json" tabindex="0" aria-label=${label ?? 'JSON'} data-testid="json">
${JSON.stringify(value, null, 2)}</pre>`;
}

/** What a poll has: the last value, the last error, and whether the first answer is still awaited. */
export interface Polled<T> {
  value: T | undefined;
  error: string | undefined;
  loading: boolean;
  /** Loads again now. */
  refresh: () => void;
}

/**
 * Calls `load` now and every `everyMs` (0: once) while the view is shown, and again when `deps`
 * change. A slow answer never overtakes a newer one.
 *
 * @example
 * ```ts
 * const stats = usePoll(() => getJson<Stats>('/v1/stats'), 1000, [generation]);
 * ```
 */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, deps: readonly unknown[]): Polled<T> {
  const [state, setState] = useState<{ value: T | undefined; error: string | undefined; loading: boolean }>({
    value: undefined,
    error: undefined,
    loading: true,
  });
  const serial = useRef(0);
  const run = () => {
    const mine = ++serial.current;
    load().then(
      (value) => mine === serial.current && setState({ value, error: undefined, loading: false }),
      (error: unknown) =>
        mine === serial.current &&
        setState((s) => ({ value: s.value, error: describeError(error), loading: false })),
    );
  };
  useEffect(() => {
    run();
    if (everyMs <= 0) return () => serial.current++;
    const timer = setInterval(run, everyMs);
    return () => {
      clearInterval(timer);
      serial.current++;
    };
  }, deps);
  return { ...state, refresh: run };
}

/** An error line, announced to screen readers; nothing when there is no error. */
export function ErrorLine({ error }: { error: string | undefined }) {
  return error === undefined ? null : html`<p class="error" role="alert">${error}</p>`;
}

/** Milliseconds as a short duration: `850 ms`, `3.2 s`, `4 min 10 s`, `2 h 5 min`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** A number with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString('en');
}
