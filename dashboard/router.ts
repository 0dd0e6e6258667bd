/**
 * The dashboard's routes live in the URL's hash (`#/trace/<id>`), so every view can be linked,
 * bookmarked and reloaded, and the hub serves one page. No token ever goes in the URL.
 */
import { useEffect, useState } from 'preact/hooks';

/** The views, in the order of the navigation. */
export const VIEWS = ['overview', 'tail', 'trace', 'streams', 'groups', 'dead-letters'] as const;
export type View = (typeof VIEWS)[number];

export interface Route {
  view: View;
  /** The view's argument: an event id (trace), a stream (streams), a group (groups, dead letters). */
  arg: string | undefined;
}

/** Parses `#/<view>[/<arg>]`; anything else is the overview. */
export function parseRoute(hash: string): Route {
  const [, view, ...rest] = hash.replace(/^#/, '').split('/');
  const known = (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : 'overview';
  const raw = rest.join('/');
  let arg: string | undefined;
  try {
    arg = raw === '' ? undefined : decodeURIComponent(raw);
  } catch {
    arg = undefined;
  }
  return { view: known, arg };
}

/**
 * The hash of a view and its argument.
 *
 * @example
 * ```ts
 * href('trace', '0190a3b0-...'); // '#/trace/0190a3b0-...'
 * ```
 */
export function href(view: View, arg?: string | number): string {
  return arg === undefined || arg === '' ? `#/${view}` : `#/${view}/${encodeURIComponent(String(arg))}`;
}

/** Goes to a view (adds a history entry). */
export function navigate(view: View, arg?: string | number): void {
  location.hash = href(view, arg);
}

/** The current route, re-rendering on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}
