/**
 * Where code run from V8's code cache finds `import()`. The CLI's bundle runs as a vm.Script
 * (src/cli/code-cache-require.ts), and on Node 20 a vm.Script may call import() only behind an experimental
 * flag (or the experimental USE_MAIN_CONTEXT_DEFAULT_LOADER, which prints a warning); so the loader, a module
 * Node loaded itself, lends its own import() under this key, and the one place that imports a user's file
 * (a knex migration) asks for it first.
 */
export const LENT_IMPORT = Symbol.for('ripcord.lent-import');

export type LentImport = (url: string) => Promise<unknown>;

/** The lent import(), if this code runs inside the CLI's bundle. */
export function lentImport(): LentImport | undefined {
  return (globalThis as Record<symbol, LentImport | undefined>)[LENT_IMPORT];
}
