import type { Command } from 'commander';
import { exitCodeFor, RipcordError } from '../core/errors.js';
import { apiErrorLine } from './api-error-line.js';
import type { GlobalOptions } from './output.js';

/** Reads the global flags (declared on the root program) from any subcommand. */
export function globalOptions(cmd: Command): GlobalOptions {
  let root = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts<{
    config?: string;
    output?: string;
    sandboxDir?: string;
    context?: string;
    namespace?: string;
  }>();
  if (o.output && o.output !== 'text' && o.output !== 'json') {
    throw new RipcordError('invalid', `--output: expected text or json, got "${o.output}"`);
  }
  return {
    config: o.config,
    output: o.output === 'json' ? 'json' : 'text',
    sandboxDir: o.sandboxDir,
    context: o.context,
    namespace: o.namespace,
  };
}

/**
 * Wraps a command action: every error becomes one clear line on stderr and the exit code mapped in one
 * place (core/errors.ts). Stack traces only with RIPCORD_DEBUG=1.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (caught) {
      const err = apiErrorLine(caught);
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`ripcord: ${msg}\n`);
      if (process.env.RIPCORD_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = exitCodeFor(err);
    }
  };
}
