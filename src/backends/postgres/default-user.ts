import { userInfo } from 'node:os';
import { invalidOption } from '../../log/invalid-option.js';

/** Where `withDefaultUser` looks for a user name: the environment and the OS account. */
export interface UserSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The OS account's name; may throw (a container user with no passwd entry). */
  readonly osUser: () => string;
}

const FROM_PROCESS: UserSources = { env: process.env, osUser: () => userInfo().username };

function firstName(sources: UserSources): string | undefined {
  const { env } = sources;
  const named = env.PGUSER || (process.platform === 'win32' ? env.USERNAME : env.USER);
  if (named) return named;
  try {
    return sources.osUser() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A PostgreSQL URL that names its user (as a `user` parameter when it did not). `pg` takes the user from the URL, then `PGUSER`, then
 * `$USER`, and sends none when all are missing (the server answers "no PostgreSQL user name
 * specified in startup packet"); libpq and `psql` fall back to the OS account. This does the
 * same: a `postgres://` or `postgresql://` URL with no user name and no `user` parameter gets
 * `PGUSER`, else `$USER` (`%USERNAME%` on Windows), else the OS account's name. Other strings
 * (key=value forms, socket paths) are returned as they are. When no name can be found it fails
 * with `INVALID_OPTION` saying what to add.
 *
 * @example
 * ```ts
 * withDefaultUser('postgres://db.internal/shop', { env: {}, osUser: () => 'deploy' });
 * // 'postgres://db.internal/shop?user=deploy'
 * ```
 */
export function withDefaultUser(connectionString: string, sources: UserSources = FROM_PROCESS): string {
  if (!/^postgres(ql)?:\/\//i.test(connectionString)) return connectionString;
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return connectionString; // pg reports what is wrong with it
  }
  if (url.username !== '' || url.searchParams.has('user')) return connectionString;
  const name = firstName(sources);
  if (name === undefined) {
    throw invalidOption(
      'connectionString',
      url.host === '' ? connectionString : `postgres://${url.host}${url.pathname}`,
      'a URL naming its user (postgres://user@host/db): it has none, and neither PGUSER, USER nor the OS account gives one',
    );
  }
  // A `user` parameter rather than a user name: it works with an empty host (a socket) too.
  url.searchParams.set('user', name);
  return url.toString();
}
