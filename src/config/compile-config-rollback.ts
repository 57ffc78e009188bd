import type { ConfigRollbackSettings, VaultSettings } from './schema-config-rollback.js';

export type CompiledConfigRollback = ConfigRollbackSettings;
export type CompiledVault = VaultSettings;

export function compileConfigRollback(
  s: ConfigRollbackSettings,
  _baseDir: string,
  _at: string,
): CompiledConfigRollback {
  return { ...s };
}

export function compileVault(s: VaultSettings, _baseDir: string, _at: string): CompiledVault {
  return { ...s };
}
