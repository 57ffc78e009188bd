/**
 * `--git-revert`: a revert commit of the rolled-back release pushed to the Application's branch, with the git
 * CLI (git-fetch(1), git-diff(1), git-apply(1) --3way, git-push(1), git-ls-remote(1)), in a throw-away
 * repository. What the release changed under the Application's path (`git diff bad good -- path`) is applied
 * to the head, so commits in between that touched other directories (other apps, an app-of-apps parent) stay.
 *
 * The commit is built on the branch head the plan saw (`base`), never on whatever the branch holds now, and
 * pushed without force: if anyone pushed since the plan, git refuses the push (non-fast-forward) and nothing
 * is written, so a teammate's fix is never reverted over. The commit's message carries the run's id as a
 * trailer (`Ripcord-Run: ID`), which is how a resumed run finds a push it made before a crash.
 *
 * Credentials: a token file (sent as HTTP basic auth through git's `http.extraHeader`, set by
 * GIT_CONFIG_COUNT/KEY/VALUE in the child's environment, so it is on no command line), or an SSH key file
 * (GIT_SSH_COMMAND -i). git never prompts (GIT_TERMINAL_PROMPT=0, ssh BatchMode). The token is read when the
 * step runs and masked out of every message; URLs lose their user:password part before they are shown.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortedError, abortReason, RipcordError } from '../../core/errors.js';
import { shownUrl } from '../../core/shown-url.js';
import { readTokenFile } from '../http/token-file.js';

export type GitCredentials =
  { kind: 'token'; file: string; username: string } | { kind: 'ssh'; keyFile: string };

export interface GitRevertRequest {
  /** Where to push: the Application's spec.source.repoURL (or the config's override). */
  url: string;
  branch: string;
  /** The branch head the plan saw: the revert's parent. */
  base: string;
  /** Undo what `good..bad` changed under `path` (the whole repository when unset), as one commit. */
  good: string;
  bad: string;
  /** The Application's spec.source.path. */
  path?: string;
  runId: string;
  /** The commit message's subject and body; the run's trailer is added. */
  message: { subject: string; body: string };
  author: { name: string; email: string };
  credentials?: GitCredentials;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface GitRevertResult {
  /** The revert commit on the branch now. */
  commit: string;
  /** false: it was there already (pushed before a crash, found by its Ripcord-Run trailer). */
  written: boolean;
  /** The commits between good and bad that touched the path, newest first. */
  reverted: string[];
}

/** What `--git-revert` needs of git; the handler gets it as a port. */
export interface GitRevertPort {
  /** The run's revert commit if the branch has it (among its last 200 commits). */
  findRevert(
    o: Omit<GitRevertRequest, 'good' | 'bad' | 'base' | 'path' | 'message' | 'author'>,
  ): Promise<string | undefined>;
  revertAndPush(o: GitRevertRequest): Promise<GitRevertResult>;
}

/** Trailer naming the run in the commit message (git interpret-trailers' `Key: value` form). */
export const RUN_TRAILER = 'Ripcord-Run';

interface Env {
  env: NodeJS.ProcessEnv;
  secrets: string[];
}

async function gitEnv(o: Pick<GitRevertRequest, 'credentials' | 'author'>): Promise<Env> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: o.author.name,
    GIT_AUTHOR_EMAIL: o.author.email,
    GIT_COMMITTER_NAME: o.author.name,
    GIT_COMMITTER_EMAIL: o.author.email,
    // The user's own hooks and templates have no business in this throw-away repository.
    GIT_TEMPLATE_DIR: '',
  };
  const c = o.credentials;
  if (!c) return { env, secrets: [] };
  if (c.kind === 'ssh') {
    const quoted = `'${c.keyFile.replace(/'/g, `'\\''`)}'`;
    env.GIT_SSH_COMMAND = `ssh -i ${quoted} -o IdentitiesOnly=yes -o BatchMode=yes`;
    return { env, secrets: [] };
  }
  const token = await readTokenFile(c.file, 'git');
  const basic = Buffer.from(`${c.username}:${token}`).toString('base64');
  env.GIT_CONFIG_COUNT = '1';
  env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
  env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  return { env, secrets: [token, basic] };
}

function mask(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('****');
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1****@');
}

interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** One git command in `cwd`; resolves with its exit code (callers decide), rejects on timeout or abort. */
function run(
  cwd: string,
  args: string[],
  e: Env,
  o: Pick<GitRevertRequest, 'timeoutMs' | 'signal'>,
): Promise<GitRun> {
  if (o.signal.aborted) return Promise.reject(new AbortedError(`git aborted: ${abortReason(o.signal)}`));
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, env: e.env, timeout: o.timeoutMs, signal: o.signal, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (o.signal.aborted) {
          reject(new AbortedError(`git ${args[0]} aborted: ${abortReason(o.signal)}`));
          return;
        }
        const e2 = err as (Error & { code?: unknown; killed?: boolean }) | null;
        if (e2 && typeof e2.code !== 'number') {
          const why = e2.killed ? `timed out after ${Math.round(o.timeoutMs / 1000)}s` : e2.message;
          reject(
            new RipcordError('unreachable', `git ${args[0]}: ${mask(why, e.secrets)}`, { retryable: true }),
          );
          return;
        }
        resolve({ code: typeof e2?.code === 'number' ? e2.code : 0, stdout, stderr });
      },
    );
  });
}

/** Runs git and fails (naming the command, git's words masked) unless it exits 0. */
async function must(
  cwd: string,
  args: string[],
  e: Env,
  o: Pick<GitRevertRequest, 'timeoutMs' | 'signal'>,
  kind: 'failed' | 'unreachable' | 'forbidden' = 'failed',
): Promise<string> {
  const r = await run(cwd, args, e, o);
  if (r.code !== 0) {
    const said = mask((r.stderr || r.stdout).trim().split('\n').slice(-4).join(' / '), e.secrets);
    throw new RipcordError(kind, `git ${args[0]} failed: ${said || `exit ${r.code}`}`);
  }
  return r.stdout;
}

/** How git says it could not reach or was not let into the remote. */
function remoteKind(stderr: string): 'forbidden' | 'unreachable' {
  return /authentication|permission denied|403|401|could not read username|access denied/i.test(stderr)
    ? 'forbidden'
    : 'unreachable';
}

type Remote = Parameters<GitRevertPort['findRevert']>[0];

/** HEAD (Argo CD's default targetRevision) is the remote's default branch; anything else names a branch. */
async function branchOf(dir: string, o: Remote, e: Env): Promise<string> {
  if (o.branch !== 'HEAD') return o.branch.replace(/^refs\/heads\//, '');
  const r = await run(dir, ['ls-remote', '--symref', o.url, 'HEAD'], e, o);
  const m = /^ref:\s+refs\/heads\/(\S+)\s+HEAD/m.exec(r.stdout);
  if (r.code !== 0 || !m?.[1]) {
    const said = mask(r.stderr.trim().split('\n').slice(-3).join(' / '), e.secrets);
    throw new RipcordError(
      r.code !== 0 ? remoteKind(r.stderr) : 'invalid',
      `cannot tell the default branch of ${shownUrl(o.url)} (targetRevision HEAD)${said ? `: ${said}` : ''}`,
      { retryable: r.code !== 0 },
    );
  }
  return m[1];
}

async function withRepo<T>(o: Remote, e: Env, body: (dir: string, branch: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ripcord-git-'));
  try {
    await must(dir, ['init', '--quiet'], e, o);
    const branch = await branchOf(dir, o, e);
    const fetched = await run(
      dir,
      ['fetch', '--quiet', '--no-tags', o.url, `+refs/heads/${branch}:refs/remotes/origin/${branch}`],
      e,
      o,
    );
    if (fetched.code !== 0) {
      const said = mask(fetched.stderr.trim().split('\n').slice(-3).join(' / '), e.secrets);
      const missing = /couldn't find remote ref/i.test(fetched.stderr);
      throw new RipcordError(
        missing ? 'invalid' : remoteKind(fetched.stderr),
        missing
          ? `branch ${branch} does not exist in ${shownUrl(o.url)} (is targetRevision a tag or a commit?): there is nothing to push a revert to`
          : `cannot fetch branch ${branch} of ${shownUrl(o.url)}: ${said}`,
        { retryable: !missing },
      );
    }
    return await body(dir, branch);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function findIn(dir: string, branch: string, o: Remote, e: Env): Promise<string | undefined> {
  const out = await must(
    dir,
    [
      'log',
      '-n',
      '200',
      '--format=%H',
      '--fixed-strings',
      `--grep=${RUN_TRAILER}: ${o.runId}`,
      `refs/remotes/origin/${branch}`,
    ],
    e,
    o,
  );
  return out
    .split('\n')
    .find((l) => /^[0-9a-f]{40}$/.test(l.trim()))
    ?.trim();
}

export function createGitRevert(): GitRevertPort {
  return {
    async findRevert(o) {
      const e = await gitEnv({ author: { name: 'ripcord', email: 'ripcord@localhost' }, ...o });
      return withRepo(o, e, (dir, branch) => findIn(dir, branch, o, e));
    },

    async revertAndPush(o) {
      const e = await gitEnv(o);
      return withRepo(o, e, async (dir, branch) => {
        const already = await findIn(dir, branch, o, e);
        const scope = o.path ? ['--', o.path] : [];
        const reverted = (
          await must(dir, ['rev-list', `${o.good}..${o.bad}`, ...scope], e, o).catch(() => '')
        )
          .split('\n')
          .filter(Boolean);
        if (already) return { commit: already, written: false, reverted };
        for (const [what, sha] of [
          ['the branch head the plan saw', o.base],
          ['the rolled-back revision', o.bad],
          ['the revision rolled back to', o.good],
        ] as const) {
          if ((await run(dir, ['cat-file', '-e', `${sha}^{commit}`], e, o)).code !== 0) {
            throw new RipcordError(
              'refused',
              `${what} ${sha.slice(0, 7)} is no longer on branch ${branch} of ${shownUrl(o.url)} (history rewritten?); nothing was pushed`,
            );
          }
        }
        const ancestor = async (a: string, b: string) =>
          (await run(dir, ['merge-base', '--is-ancestor', a, b], e, o)).code === 0;
        if (!(await ancestor(o.good, o.bad)) || !(await ancestor(o.bad, o.base))) {
          throw new RipcordError(
            'refused',
            `cannot revert ${o.good.slice(0, 7)}..${o.bad.slice(0, 7)} on ${o.base.slice(0, 7)}: the revision rolled back to ` +
              `must come before the rolled-back one on branch ${branch}, and that before its head; nothing was pushed`,
          );
        }
        await must(dir, ['checkout', '--quiet', '-B', 'ripcord-revert', o.base], e, o);
        // What the release changed in the app's path, undone on the head: commits in between that touched other
        // apps' directories stay as they are (git revert of the range would undo those too).
        const patch = await must(dir, ['diff', '--binary', '--full-index', o.bad, o.good, ...scope], e, o);
        const where = o.path ? ` under ${o.path}` : '';
        if (patch.trim() === '') {
          throw new RipcordError(
            'refused',
            `${o.good.slice(0, 7)} and ${o.bad.slice(0, 7)} do not differ${where}: there is nothing to revert; nothing was pushed`,
          );
        }
        const patchFile = join(dir, '.git', 'ripcord-revert.patch');
        await writeFile(patchFile, patch);
        const applied = await run(dir, ['apply', '--3way', patchFile], e, o);
        if (applied.code !== 0) {
          const conflicts = (await run(dir, ['diff', '--name-only', '--diff-filter=U'], e, o)).stdout
            .split('\n')
            .filter(Boolean);
          throw new RipcordError(
            'refused',
            `the revert of ${o.good.slice(0, 7)}..${o.bad.slice(0, 7)}${where} does not apply on ${o.base.slice(0, 7)}` +
              (conflicts.length > 0 ? ` (conflicts in ${conflicts.join(', ')})` : '') +
              `: later commits changed the same lines; nothing was pushed`,
          );
        }
        await must(
          dir,
          [
            'commit',
            '--quiet',
            '--allow-empty',
            '--no-verify',
            '-m',
            o.message.subject,
            '-m',
            o.message.body,
            ...(reverted.length > 0
              ? ['-m', reverted.map((c) => `This reverts commit ${c}.`).join('\n')]
              : []),
            '-m',
            `${RUN_TRAILER}: ${o.runId}`,
          ],
          e,
          o,
        );
        const commit = (await must(dir, ['rev-parse', 'HEAD'], e, o)).trim();
        // Without force: git itself refuses if the branch is no longer at `base` (someone pushed since).
        const pushed = await run(dir, ['push', '--porcelain', o.url, `${commit}:refs/heads/${branch}`], e, o);
        if (pushed.code !== 0) {
          const rejected = /\[rejected\]|non-fast-forward|fetch first/i.test(pushed.stdout + pushed.stderr);
          if (rejected) {
            const now = await run(dir, ['ls-remote', o.url, `refs/heads/${branch}`], e, o);
            const head = now.stdout.split(/\s/)[0];
            throw new RipcordError(
              'refused',
              `the push of the revert to branch ${branch} of ${shownUrl(o.url)} was rejected (non-fast-forward): ` +
                `the branch moved since the plan (was ${o.base.slice(0, 7)}${head ? `, now ${head.slice(0, 7)}` : ''}); ` +
                'nothing was pushed',
            );
          }
          const said = mask(
            (pushed.stderr || pushed.stdout).trim().split('\n').slice(-3).join(' / '),
            e.secrets,
          );
          throw new RipcordError(remoteKind(pushed.stderr), `cannot push to ${shownUrl(o.url)}: ${said}`, {
            retryable: true,
          });
        }
        return { commit, written: true, reverted };
      });
    },
  };
}
