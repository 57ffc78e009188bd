/**
 * The Argo CD API stand-in's bearer tokens, made once per sandbox and kept 0600 in `<dir>/tokens.json` (like
 * Unleash's secrets): `admin` may do everything, `readonly` only read (Argo CD's role:readonly), for tests of
 * "permission denied". Never in state.json, which `sandbox status -o json` prints.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ApiRole } from './api-server.js';

export const ArgoTokens = z.object({ admin: z.string().min(32), readonly: z.string().min(32) });
export type ArgoTokens = z.infer<typeof ArgoTokens>;

/** Reads `<dir>/tokens.json`, creating it (0600) on first use. */
export function ensureArgoTokens(dir: string): { file: string; tokens: ArgoTokens } {
  const file = join(dir, 'tokens.json');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const t: ArgoTokens = {
      admin: randomBytes(24).toString('hex'),
      readonly: randomBytes(24).toString('hex'),
    };
    writeFileSync(file, JSON.stringify(t), { mode: 0o600 });
  }
  return { file, tokens: readArgoTokens(file) };
}

export function readArgoTokens(file: string): ArgoTokens {
  return ArgoTokens.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Token -> role and the subject Argo CD would name (`sub:` in its permission errors). */
export function tokenRoles(t: ArgoTokens): Record<string, { role: ApiRole; subject: string }> {
  return {
    [t.admin]: { role: 'admin', subject: 'admin' },
    [t.readonly]: { role: 'readonly', subject: 'readonly' },
  };
}
