/**
 * Vault KV v2 client for secret rollback (runbook section 3: `vault kv metadata get`, `vault kv rollback`).
 * rollback() does exactly what `vault kv rollback -version=N` does (command/kv_rollback.go): read the latest
 * version to learn the check-and-set value, read version N and refuse it if it is deleted or destroyed, then
 * write N's data as a NEW version with `options.cas` = the version read first. Versions are never undeleted or
 * rewritten in place, so the history keeps the bad version for the post-mortem.
 *
 * Every answer is validated with zod. Returned evidence carries key names and version numbers only; data that
 * must be read is wrapped in SecretValues so it masks itself if logged.
 */
import type { z } from 'zod';
import { RipcordError } from '../../core/errors.js';
import { vaultFailure, type VaultCall } from './errors.js';
import { createVaultHttp, type VaultAnswer, type VaultHttpOptions } from './http.js';
import { DataReadResponse, DataWriteResponse, MetadataResponse, type VersionMetadata } from './schema.js';
import { describeSecretChange, SecretValues, type SecretChange } from './secret-values.js';

const DEFAULT_TIMEOUT_MS = 10_000;

export type VersionState = 'live' | 'deleted' | 'destroyed';

export interface SecretVersionInfo {
  version: number;
  createdTime: string;
  /** Set when the version is (or is scheduled to be) soft-deleted. */
  deletionTime?: string;
  state: VersionState;
}

export interface SecretMetadata {
  /** `mount/path`. */
  path: string;
  currentVersion: number;
  oldestVersion: number;
  maxVersions: number;
  /** Oldest first; versions pruned by max_versions are not listed (Vault no longer has them). */
  versions: SecretVersionInfo[];
}

export interface SecretVersion {
  path: string;
  version: number;
  createdTime: string;
  data: SecretValues;
}

/** What a rollback did: names and numbers, never values. */
export interface SecretRollbackEvidence {
  path: string;
  namespace?: string;
  /** Keys of the restored data. */
  keys: string[];
  /** The version that was current when we read it (the check-and-set value). */
  fromVersion: number;
  toVersion: number;
  /** The version our write created, holding toVersion's data. */
  newVersion: number;
  /** Keys added/removed/changed by the rollback; absent when the current version was itself deleted. */
  change?: SecretChange;
}

export interface VaultKvClientOptions extends Omit<VaultHttpOptions, 'timeoutMs'> {
  /** KV v2 mount path; `secret` by default, as in `vault kv ... secret/...`. */
  mount?: string;
  timeoutMs?: number;
}

export interface VaultKvClient {
  /** Latest version when `version` is omitted. Deleted, destroyed or unknown versions → RipcordError('invalid'). */
  readVersion(path: string, version?: number): Promise<SecretVersion>;
  metadata(path: string): Promise<SecretMetadata>;
  /** Writes a new version; `cas` is the version we expect to be current (0: the key must not exist). */
  writeVersion(
    path: string,
    data: SecretValues | Record<string, unknown>,
    cas: number,
  ): Promise<SecretVersionInfo>;
  rollback(path: string, toVersion: number): Promise<SecretRollbackEvidence>;
}

// `vault kv rollback` treats any deletion_time as deleted, even one scheduled in the future by
// delete_version_after: the version is going away, so it is no rollback target.
function stateOf(m: { deletion_time: string; destroyed: boolean }): VersionState {
  if (m.destroyed) return 'destroyed';
  return m.deletion_time ? 'deleted' : 'live';
}

function info(version: number, m: { created_time: string; deletion_time: string; destroyed: boolean }) {
  const out: SecretVersionInfo = { version, createdTime: m.created_time, state: stateOf(m) };
  if (m.deletion_time) out.deletionTime = m.deletion_time;
  return out;
}

function cleanSegments(value: string, what: string): string[] {
  const segments = value.split('/').filter((s) => s !== '');
  if (segments.length === 0 || segments.some((s) => s === '.' || s === '..')) {
    throw new RipcordError('invalid', `Vault ${what} "${value}" is not a valid path`);
  }
  return segments;
}

function checkVersion(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new RipcordError('invalid', `${what} must be a positive whole number, got ${String(v)}`);
  }
}

/** A data read: live data, a deleted/destroyed version (404 with metadata), or nothing at all (plain 404). */
type DataRead =
  | { kind: 'live'; metadata: VersionMetadata; data: SecretValues }
  | { kind: 'gone'; metadata: VersionMetadata }
  | { kind: 'missing' };

export function createVaultKvClient(opts: VaultKvClientOptions): VaultKvClient {
  const http = createVaultHttp({ ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  const mount = cleanSegments(opts.mount ?? 'secret', 'mount').join('/');
  const nsNote = opts.namespace ? ` (namespace ${opts.namespace})` : '';

  function paths(path: string) {
    const segments = cleanSegments(path, 'secret path');
    const encoded = segments.map(encodeURIComponent).join('/');
    const display = `${mount}/${segments.join('/')}`;
    return {
      display,
      where: `${display}${nsNote}`,
      api: (kind: 'data' | 'metadata') => `${mount}/${kind}/${encoded}`,
      acl: (kind: 'data' | 'metadata') => `${mount}/${kind}/${segments.join('/')}`,
    };
  }

  function call(
    p: ReturnType<typeof paths>,
    kind: 'data' | 'metadata',
    action: string,
    write = false,
  ): VaultCall {
    return {
      action,
      where: p.where,
      aclPath: p.acl(kind),
      capability: write ? 'update' : 'read',
      carriesSecrets: write,
      hasToken: http.hasToken,
    };
  }

  function parse<T>(schema: z.ZodType<T>, a: VaultAnswer, where: string): T {
    const parsed = schema.safeParse(a.body);
    if (!parsed.success) {
      throw new RipcordError('failed', `Vault answered HTTP ${a.status} for ${where} in an unexpected shape`);
    }
    return parsed.data;
  }

  async function readData(
    p: ReturnType<typeof paths>,
    version: number | undefined,
    c: VaultCall,
  ): Promise<DataRead> {
    const query = version === undefined ? '' : `?version=${version}`;
    const a = await http.request('GET', `${p.api('data')}${query}`);
    if (a.status === 200) {
      const body = parse(DataReadResponse, a, p.where);
      const { data, metadata } = body.data;
      if (data === null) return { kind: 'gone', metadata };
      return { kind: 'live', metadata, data: new SecretValues(data) };
    }
    if (a.status === 404) {
      // Vault answers a deleted or destroyed version with 404 *and* its metadata; a version that never
      // existed (or was pruned by max_versions) with a bare 404.
      const body = DataReadResponse.safeParse(a.body);
      return body.success ? { kind: 'gone', metadata: body.data.data.metadata } : { kind: 'missing' };
    }
    throw vaultFailure(a, c);
  }

  function goneMessage(where: string, m: VersionMetadata): string {
    return stateOf(m) === 'destroyed'
      ? `version ${m.version} of ${where} is destroyed: its data no longer exists and cannot be restored`
      : `version ${m.version} of ${where} is deleted (deletion_time ${m.deletion_time}); ` +
          `undelete it first (vault kv undelete -versions=${m.version}) if it is the right target`;
  }

  async function writeVersion(
    path: string,
    data: SecretValues | Record<string, unknown>,
    cas: number,
  ): Promise<SecretVersionInfo> {
    if (!Number.isInteger(cas) || cas < 0) {
      throw new RipcordError(
        'invalid',
        `check-and-set value must be a whole number >= 0, got ${String(cas)}`,
      );
    }
    const p = paths(path);
    const values = data instanceof SecretValues ? data.reveal() : data;
    const c = call(p, 'data', 'write a new version of', true);
    const a = await http.request('POST', p.api('data'), { data: values, options: { cas } });
    if (a.status !== 200) throw vaultFailure(a, c);
    const m = parse(DataWriteResponse, a, p.where).data;
    return info(m.version, m);
  }

  return {
    writeVersion,

    async readVersion(path, version) {
      if (version !== undefined) checkVersion(version, 'version');
      const p = paths(path);
      const what = version === undefined ? 'read the latest version of' : `read version ${version} of`;
      const r = await readData(p, version, call(p, 'data', what));
      if (r.kind === 'missing') {
        throw new RipcordError(
          'invalid',
          version === undefined ? `no secret at ${p.where}` : `${p.where} has no version ${version}`,
        );
      }
      if (r.kind === 'gone') throw new RipcordError('invalid', goneMessage(p.where, r.metadata));
      return {
        path: p.display,
        version: r.metadata.version,
        createdTime: r.metadata.created_time,
        data: r.data,
      };
    },

    async metadata(path) {
      const p = paths(path);
      const c = call(p, 'metadata', 'read the metadata of');
      const a = await http.request('GET', p.api('metadata'));
      if (a.status === 404) throw new RipcordError('invalid', `no secret at ${p.where}`);
      if (a.status !== 200) throw vaultFailure(a, c);
      const d = parse(MetadataResponse, a, p.where).data;
      const versions = Object.entries(d.versions)
        .map(([n, m]) => info(Number(n), m))
        .sort((x, y) => x.version - y.version);
      return {
        path: p.display,
        currentVersion: d.current_version,
        oldestVersion: d.oldest_version,
        maxVersions: d.max_versions,
        versions,
      };
    },

    async rollback(path, toVersion) {
      checkVersion(toVersion, 'the version to roll back to');
      const p = paths(path);
      // 1. The latest version, for check-and-set. If it is itself deleted, Vault's 404 still names it.
      const current = await readData(p, undefined, call(p, 'data', 'read the latest version of'));
      if (current.kind === 'missing') {
        throw new RipcordError('invalid', `no secret at ${p.where}; rollback only works on existing data`);
      }
      const fromVersion = current.metadata.version;
      // 2. The target: refuse deleted and destroyed versions, as `vault kv rollback` does.
      const target = await readData(p, toVersion, call(p, 'data', `read version ${toVersion} of`));
      if (target.kind === 'missing') {
        throw new RipcordError(
          'invalid',
          `${p.where} has no version ${toVersion} (current version is ${fromVersion}; ` +
            `versions older than max_versions are gone)`,
        );
      }
      if (target.kind === 'gone') {
        throw new RipcordError('refused', `cannot roll back to ${goneMessage(p.where, target.metadata)}`);
      }
      // 3. The target's data as a new version, only if nobody wrote since step 1.
      const written = await writeVersion(path, target.data, fromVersion);
      const evidence: SecretRollbackEvidence = {
        path: p.display,
        keys: target.data.keys(),
        fromVersion,
        toVersion,
        newVersion: written.version,
      };
      if (opts.namespace) evidence.namespace = opts.namespace;
      if (current.kind === 'live') evidence.change = describeSecretChange(current.data, target.data);
      return evidence;
    },
  };
}
