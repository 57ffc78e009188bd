/**
 * Versioned config objects, as the runbook names them (`venue-service-config-v1`, `-v2`, ...): which exist,
 * which one the live object matches, and which one "previous" means. Pure.
 */
import { RipcordError } from '../errors.js';
import type { ConfigObject } from '../ports.js';
import { dataHash, dataKeys, sameData } from './data-diff.js';

/** One version of a versioned ConfigMap. */
export interface ConfigVersion {
  version: number;
  /** The versioned object's own name, e.g. `venue-service-config-v2`. */
  name: string;
  createdAt?: string;
  keys: string[];
  /** Short content hash (ConfigMaps only). */
  hash: string;
  object: ConfigObject;
}

/** The default naming: `<live name>-v{n}`. */
export function defaultVersionPattern(liveName: string): string {
  return `${liveName}-v{n}`;
}

/** A pattern with exactly one `{n}` placeholder, as a RegExp capturing the number. */
export function versionRegExp(pattern: string): RegExp {
  const parts = pattern.split('{n}');
  if (parts.length !== 2) {
    throw new RipcordError('invalid', `version pattern "${pattern}" must contain {n} exactly once`);
  }
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${esc(parts[0] ?? '')}(\\d+)${esc(parts[1] ?? '')}$`);
}

/** The name of version `n` under `pattern`. */
export function versionName(pattern: string, n: number): string {
  return pattern.replace('{n}', String(n));
}

/** The versions among `objects` (any order), oldest first. */
export function listVersions(pattern: string, objects: readonly ConfigObject[]): ConfigVersion[] {
  const re = versionRegExp(pattern);
  const out: ConfigVersion[] = [];
  for (const o of objects) {
    const m = re.exec(o.name);
    if (!m?.[1]) continue;
    out.push({
      version: Number(m[1]),
      name: o.name,
      ...(o.createdAt ? { createdAt: o.createdAt } : {}),
      keys: dataKeys(o),
      hash: dataHash(o),
      object: o,
    });
  }
  return out.sort((a, b) => a.version - b.version);
}

/** The newest version whose data equals the live object's, if any. */
export function matchingVersion(
  live: ConfigObject,
  versions: readonly ConfigVersion[],
): ConfigVersion | undefined {
  return [...versions].reverse().find((v) => sameData(v.object, live));
}

/**
 * The version to restore: `--to-version N` when given (it must exist), else the newest version older than the
 * one the live object matches. Throws RipcordError('invalid') naming --to-version or the live object.
 */
export function chooseTargetVersion(
  liveRef: string,
  pattern: string,
  versions: readonly ConfigVersion[],
  current: ConfigVersion | undefined,
  toVersion: number | undefined,
): ConfigVersion {
  const known = versions.map((v) => `v${v.version}`).join(', ') || 'none';
  if (versions.length === 0) {
    throw new RipcordError(
      'invalid',
      `no versioned ConfigMaps named ${versionName(pattern, 1)}, ${versionName(pattern, 2)}, ... next to ${liveRef}; ` +
        'name them so, or set services.<name>.config.versions to their pattern',
    );
  }
  if (toVersion !== undefined) {
    const found = versions.find((v) => v.version === toVersion);
    if (!found) {
      throw new RipcordError(
        'invalid',
        `--to-version ${toVersion}: there is no ${versionName(pattern, toVersion)} (versions: ${known})`,
      );
    }
    return found;
  }
  if (!current) {
    throw new RipcordError(
      'invalid',
      `${liveRef} matches none of the versions (${known}); say which one to restore with --to-version N`,
    );
  }
  const older = versions.filter((v) => v.version < current.version);
  const previous = older[older.length - 1];
  if (!previous) {
    throw new RipcordError(
      'invalid',
      `${liveRef} holds v${current.version}, the oldest version; there is nothing older to roll back to`,
    );
  }
  return previous;
}

/** `--to-version N`: a whole number >= 1, or RipcordError('invalid') naming the flag. */
export function parseToVersion(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.replace(/^v/i, '');
  const n = Number(t);
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(n) || n < 1) {
    throw new RipcordError(
      'invalid',
      `--to-version: expected a version number >= 1 (like 3 or v3), got "${text}"`,
    );
  }
  return n;
}
