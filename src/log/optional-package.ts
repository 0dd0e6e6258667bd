/**
 * Importing a part of Herald that needs a package Herald does not install (a backend's driver,
 * vitest for `herald/testing`) and, when that package is missing, failing with what to install
 * instead of Node's `Cannot find package 'pg' imported from …/dist/backends/postgres/…`.
 */

/** Whether a package can be found from Herald's own location (a bare specifier). */
export type PackageResolves = (pkg: string) => boolean;

/** Resolves `pkg` from this module, as the modules that import it would. */
export const resolvesFromHerald: PackageResolves = (pkg) => {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch (error) {
    // Only "not found" means missing: a package found but refusing this entry point is installed.
    return !isModuleNotFound(error);
  }
};

/** Node's code for an import whose package or file does not exist. */
export function isModuleNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND';
}

/**
 * Which of `packages` an import failure is about: empty when `error` is not a missing-package
 * error for one of them. Names every one of `packages` that does not resolve (Node reports only
 * the first it meets), or failing that the ones the error names.
 */
export function missingPackages(
  error: unknown,
  packages: readonly string[],
  resolves: PackageResolves = resolvesFromHerald,
): string[] {
  if (!isModuleNotFound(error)) return [];
  const message = error instanceof Error ? error.message : String(error);
  const named = packages.filter((pkg) => message.includes(`'${pkg}'`) || message.includes(`"${pkg}"`));
  if (named.length === 0) return [];
  const unresolved = packages.filter((pkg) => !resolves(pkg));
  return unresolved.length > 0 ? unresolved : named;
}

/**
 * Runs `load` (a dynamic import of a module that imports `packages`); when it fails because some
 * of them are not installed, throws an Error that says `what` needs them and the `npm install`
 * command that adds them. Any other failure is rethrown as it is.
 */
export async function importNeeding<M>(
  what: string,
  packages: readonly string[],
  load: () => Promise<M>,
  options: { resolves?: PackageResolves; installFlags?: string } = {},
): Promise<M> {
  try {
    return await load();
  } catch (error) {
    const missing = missingPackages(error, packages, options.resolves);
    if (missing.length === 0) throw error;
    const flags = options.installFlags === undefined ? '' : `${options.installFlags} `;
    const names = missing.join(' and ');
    throw new Error(
      `${what} needs ${names}, which ${missing.length === 1 ? 'is' : 'are'} not installed: ` +
        `run \`npm install ${flags}${missing.join(' ')}\``,
      { cause: error },
    );
  }
}
