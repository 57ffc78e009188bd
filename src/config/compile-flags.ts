import type { FlagSettings } from './schema-flags.js';

export type CompiledFlags = FlagSettings;

export function compileFlags(s: FlagSettings, _baseDir: string, _at: string): CompiledFlags {
  return { ...s };
}
