/**
 * The Argo CD stand-in's repo server: resolves `spec.source.targetRevision` of a local git repository
 * (`file://` URL, a bare repo made with `git init --bare`) to a commit SHA and renders a directory of plain
 * manifests at that commit, as Argo CD's repo-server does for a "Directory" source (non-recursive by default:
 * every .yaml, .yml and .json file directly in `spec.source.path`). Helm, Kustomize, plugins and remote
 * repositories are left out: the sandbox's example is plain manifests. Uses the git CLI (no library).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

const GIT_TIMEOUT_MS = 10_000;

/** The bare repository a `file://` repoURL names; other schemes are not served by the stand-in. */
export function repoPath(repoURL: string): string {
  if (!repoURL.startsWith('file://')) {
    throw new Error(`repoURL ${repoURL}: the sandbox's repo server reads only file:// repositories`);
  }
  return fileURLToPath(repoURL);
}

/** Commits the sandbox makes (manifest-repo.ts) carry this author; git refuses to commit without one. */
const IDENTITY = {
  GIT_AUTHOR_NAME: 'ripcord sandbox',
  GIT_AUTHOR_EMAIL: 'sandbox@ripcord.invalid',
  GIT_COMMITTER_NAME: 'ripcord sandbox',
  GIT_COMMITTER_EMAIL: 'sandbox@ripcord.invalid',
};

/** `git --git-dir REPO ARGS`, with `input` on stdin; fails with git's own stderr. */
export function git(repo: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      ['--git-dir', repo, ...args],
      { timeout: GIT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, ...IDENTITY } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`git ${args[0]}: ${stderr || err.message}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * The commit `targetRevision` names: a branch, a tag, HEAD (also when empty, as Argo CD defaults it) or a SHA.
 * Argo CD's error wording for an unknown revision: "unable to resolve '<rev>' to a commit SHA".
 */
export async function resolveRevision(repoURL: string, targetRevision: string | undefined): Promise<string> {
  const rev = targetRevision && targetRevision.length > 0 ? targetRevision : 'HEAD';
  try {
    return (await git(repoPath(repoURL), ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).trim();
  } catch {
    throw new Error(`unable to resolve '${rev}' to a commit SHA`);
  }
}

/** The manifests of `path` at commit `sha`, in file name order, documents in file order. */
export async function renderDirectory(
  repoURL: string,
  sha: string,
  path: string,
): Promise<KubernetesObject[]> {
  const repo = repoPath(repoURL);
  const dir = path.replace(/^\.?\/?/, '').replace(/\/$/, '');
  const tree = dir ? `${sha}:${dir}` : sha;
  let listing: string;
  try {
    listing = await git(repo, ['ls-tree', '--name-only', tree]);
  } catch {
    throw new Error(`${path}: app path does not exist at ${sha.slice(0, 7)}`);
  }
  const files = listing
    .split('\n')
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  const objects: KubernetesObject[] = [];
  for (const f of files) {
    const text = await git(repo, ['cat-file', 'blob', `${sha}:${dir ? `${dir}/` : ''}${f}`]);
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${dir}/${f}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
      const o = doc.toJSON() as unknown;
      if (o && typeof o === 'object' && 'kind' in o && 'apiVersion' in o) objects.push(o as KubernetesObject);
    }
  }
  return objects;
}

/** The commit message's first line, for history and messages. */
export async function commitSubject(repoURL: string, sha: string): Promise<string> {
  return (await git(repoPath(repoURL), ['log', '-1', '--format=%s', sha])).trim();
}
