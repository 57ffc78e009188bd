/**
 * Data diffs and summaries of ConfigMaps, Kubernetes Secrets and Vault secrets, for plans, `config history`
 * and evidence. Pure. A plan is printed, journaled and sent to chat, so Secret and Vault values never appear
 * here, not even as a hash: an unsalted hash of a short password is a cheap offline guess. ConfigMap values are
 * shown (they are configuration, readable by anyone who can read the Deployment's namespace), shortened.
 */
import { createHash } from 'node:crypto';
import type { DataChange, DataDiff } from '../model/data-diff.js';

export const MASK = '••••••';
const MAX_VALUE = 80;

/** A config object's data as the API holds it (Secret values base64, as the API returns them). */
export interface ObjectData {
  data: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** DataChange and DataDiff live in the core model (Plan.dataDiff carries them). */
export type { DataChange, DataDiff } from '../model/data-diff.js';

function shown(v: string): string {
  const oneLine = v.replace(/\n/g, '\\n');
  return oneLine.length > MAX_VALUE ? `${oneLine.slice(0, MAX_VALUE - 1)}…` : oneLine;
}

function flatten(d: ObjectData): Record<string, string> {
  const out: Record<string, string> = { ...d.data };
  // binaryData keys share the key space with data (the API forbids the same key in both).
  for (const [k, v] of Object.entries(d.binaryData ?? {})) out[k] = `binary:${v}`;
  return out;
}

/** Keys added, removed and changed when `from` becomes `to`; values shown only when `masked` is false. */
export function diffData(from: ObjectData, to: ObjectData, opts: { masked: boolean }): DataChange[] {
  const a = flatten(from);
  const b = flatten(to);
  const out: DataChange[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    const value = (v: string): string =>
      opts.masked ? MASK : v.startsWith('binary:') ? `<binary ${v.length - 7} base64 chars>` : shown(v);
    if (x === undefined) out.push({ key, change: 'added', to: value(y as string) });
    else if (y === undefined)
      out.push({ key, change: 'removed', ...(opts.masked ? {} : { from: value(x) }) });
    else out.push({ key, change: 'changed', from: value(x), to: value(y) });
  }
  return out;
}

/** Same keys with the same values (data and binaryData alike). */
export function sameData(a: ObjectData, b: ObjectData): boolean {
  return diffData(a, b, { masked: true }).length === 0;
}

/**
 * sha256 of the data in a canonical form (sorted keys), shortened to 12 hex digits for display. Only ever
 * shown for ConfigMaps; Secret hashes stay inside the cluster (see the file comment).
 */
export function dataHash(d: ObjectData): string {
  const flat = flatten(d);
  const canonical = JSON.stringify(
    Object.keys(flat)
      .sort()
      .map((k) => [k, flat[k]]),
  );
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

/** The sorted key names of an object's data. */
export function dataKeys(d: ObjectData): string[] {
  return Object.keys(flatten(d)).sort();
}

/** `+ KEY = value`, `- KEY`, `~ KEY: old -> new` lines for text output. */
export function formatDataDiff(diff: DataDiff): string[] {
  const lines = [`${diff.object}: ${diff.from} -> ${diff.to}${diff.masked ? ' (values masked)' : ''}`];
  if (diff.changes.length === 0) lines.push('  (no key differs)');
  for (const c of diff.changes) {
    if (c.change === 'added') lines.push(`  + ${c.key} = ${c.to ?? MASK}`);
    else if (c.change === 'removed')
      lines.push(`  - ${c.key}${c.from !== undefined ? ` (was ${c.from})` : ''}`);
    else lines.push(`  ~ ${c.key}: ${c.from ?? MASK} -> ${c.to ?? MASK}`);
  }
  return lines;
}
