/**
 * The git repository the sandbox's Argo CD stand-in syncs from: a bare repository (`file://` URL) whose
 * `main` branch holds one directory of plain manifests per example app. A release is one commit that rewrites
 * the app's directory (the example's manifests with the image set), made with git's plumbing commands, so no
 * work tree or clone is needed and other apps' directories stay as they are.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { repoRoot } from '../control-plane/binaries.js';
import { readManifests } from '../apply.js';
import { parseImage } from '../deploy.js';
import { git } from './git-source.js';

export const MANIFEST_BRANCH = 'main';

/** Creates the bare repository at `path` (if missing) and returns its file:// URL. */
export async function ensureManifestRepo(path: string): Promise<string> {
  if (!existsSync(join(path, 'HEAD'))) {
    mkdirSync(path, { recursive: true });
    await git(path, ['init', '--bare', '--quiet', `--initial-branch=${MANIFEST_BRANCH}`]);
  }
  return pathToFileURL(path).href;
}

/** The example app's manifests for `image` (`venue-service:v1.2.3`), as one would keep them in git. */
export function releaseManifests(image: string, opts: { replicas?: number } = {}): Record<string, string> {
  const { app } = parseImage(image);
  const dir = join(repoRoot(), 'examples', app, 'manifests');
  const files: Record<string, string> = {};
  for (const f of ['configmap-v1.yaml', 'configmap-v2.yaml', 'configmap-current.yaml', 'service.yaml']) {
    files[f] = readManifests(join(dir, f))
      .map((o) => stringify(o))
      .join('---\n');
  }
  const [deployment] = readManifests(join(dir, 'deployment.yaml'));
  if (!deployment) throw new Error(`no Deployment in ${dir}/deployment.yaml`);
  const d = deployment as KubernetesObject & {
    spec: { replicas?: number; template: { spec: { containers: Array<{ name: string; image: string }> } } };
  };
  if (opts.replicas !== undefined) d.spec.replicas = opts.replicas;
  for (const c of d.spec.template.spec.containers) if (c.name === app) c.image = image;
  files['deployment.yaml'] = stringify(d);
  return files;
}

/** The branch head's SHA, or undefined for an empty repository. */
export async function branchHead(repo: string): Promise<string | undefined> {
  try {
    return (await git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${MANIFEST_BRANCH}`])).trim();
  } catch {
    return undefined;
  }
}

/** Commits `files` as directory `path` (nested paths too) on the branch, everything else kept; returns the SHA. */
export async function commitDirectory(
  repo: string,
  path: string,
  files: Record<string, string>,
  message: string,
): Promise<string> {
  const entries: string[] = [];
  for (const [name, text] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const blob = (await git(repo, ['hash-object', '-w', '--stdin'], text)).trim();
    entries.push(`100644 blob ${blob}\t${name}`);
  }
  const dirTree = await mktree(repo, entries);
  const parent = await branchHead(repo);
  const segments = path.split('/').filter(Boolean);
  const rootTree = await withEntry(repo, parent ? `${parent}^{tree}` : undefined, segments, dirTree);
  const commit = (
    await git(repo, ['commit-tree', rootTree, ...(parent ? ['-p', parent] : []), '-m', message])
  ).trim();
  await git(repo, ['update-ref', `refs/heads/${MANIFEST_BRANCH}`, commit, ...(parent ? [parent] : [])]);
  return commit;
}

async function mktree(repo: string, entries: string[]): Promise<string> {
  return (await git(repo, ['mktree'], entries.length ? `${entries.join('\n')}\n` : '')).trim();
}

/** `tree` with the directory at `segments` replaced by `leaf` (git mktree takes one level at a time). */
async function withEntry(
  repo: string,
  tree: string | undefined,
  segments: string[],
  leaf: string,
): Promise<string> {
  const [head, ...rest] = segments;
  if (head === undefined) return leaf;
  const entries = tree ? (await git(repo, ['ls-tree', tree])).split('\n').filter(Boolean) : [];
  const existing = entries.find((l) => l.endsWith(`\t${head}`));
  const subtree = existing && / tree /.test(existing) ? existing.split(/\s+/)[2] : undefined;
  const child = await withEntry(repo, subtree, rest, leaf);
  return mktree(repo, [...entries.filter((l) => l !== existing), `040000 tree ${child}\t${head}`]);
}
