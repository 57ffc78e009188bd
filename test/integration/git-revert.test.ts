/**
 * `--git-revert`'s git adapter against real repositories (bare, file://) and the real git CLI: the revert
 * commit and what it holds, a resumed push found by its trailer, a branch that moved (git's non-fast-forward
 * refusal), a revert that conflicts, the default branch behind HEAD, and a token that never reaches a message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createGitRevert, RUN_TRAILER } from '../../src/adapters/git/revert-push.js';
import { AbortedError, RipcordError } from '../../src/core/errors.js';
import { branchHead, commitDirectory, ensureManifestRepo } from '../../src/sandbox/argocd/manifest-repo.js';
import { git } from '../../src/sandbox/argocd/git-source.js';

const root = mkdtempSync(join(tmpdir(), 'ripcord-git-revert-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const author = { name: 'Rip Cord', email: 'rip@example.com' };
const port = createGitRevert();
let n = 0;
let repo: string;
let url: string;
let good: string;
let bad: string;

const release = (image: string, extra = '') => ({
  'deployment.yaml': `image: ${image}\nreplicas: 3\n${extra}`,
  'service.yaml': 'port: 80\n',
});

beforeEach(async () => {
  repo = join(root, `r${++n}.git`);
  url = await ensureManifestRepo(repo);
  await commitDirectory(repo, 'other-app', { 'a.yaml': 'x: 1\n' }, 'other app');
  good = await commitDirectory(repo, 'apps/venue', release('venue:v1.2.2'), 'venue v1.2.2');
  bad = await commitDirectory(repo, 'apps/venue', release('venue:v1.2.3'), 'venue v1.2.3');
});

const request = (over: Partial<Parameters<typeof port.revertAndPush>[0]> = {}) => ({
  url,
  branch: 'main',
  base: bad,
  good,
  bad,
  path: 'apps/venue',
  runId: 'run-abc',
  message: { subject: 'Revert v1.2.3 (run run-abc)', body: 'rolled back and verified' },
  author,
  timeoutMs: 20_000,
  signal: new AbortController().signal,
  ...over,
});

const tree = async (rev: string) => (await git(repo, ['rev-parse', `${rev}^{tree}`])).trim();

describe('git revert and push', () => {
  it('pushes one commit on the planned head that renders the good release again, naming the run', async () => {
    const r = await port.revertAndPush(request());
    expect(r.written).toBe(true);
    expect(r.reverted).toEqual([bad]);
    expect(await branchHead(repo)).toBe(r.commit);
    expect((await git(repo, ['rev-parse', `${r.commit}^`])).trim()).toBe(bad);
    // The whole repository as it was at the good release: the app's directory back, the other app untouched.
    expect(await tree(r.commit)).toBe(await tree(good));
    const message = await git(repo, ['log', '-1', '--format=%B', r.commit]);
    expect(message).toContain('Revert v1.2.3 (run run-abc)');
    expect(message).toContain(`This reverts commit ${bad}.`);
    expect(message).toContain(`${RUN_TRAILER}: run-abc`);
    expect((await git(repo, ['log', '-1', '--format=%an <%ae>|%cn', r.commit])).trim()).toBe(
      'Rip Cord <rip@example.com>|Rip Cord',
    );
  });

  it('a second attempt of the same run finds its push and writes nothing', async () => {
    const first = await port.revertAndPush(request());
    expect(await port.findRevert({ ...request() })).toBe(first.commit);
    const again = await port.revertAndPush(request());
    expect(again).toMatchObject({ commit: first.commit, written: false });
    expect(await branchHead(repo)).toBe(first.commit);
    expect(await port.findRevert({ ...request(), runId: 'run-other' })).toBeUndefined();
  });

  it("reverts a range of releases as one commit, leaving other directories' commits in between", async () => {
    const parent = await commitDirectory(
      repo,
      'apps-of-apps',
      { 'venue.yaml': 'kind: Application\n' },
      'parent',
    );
    const worse = await commitDirectory(repo, 'apps/venue', release('venue:v1.2.4'), 'venue v1.2.4');
    const r = await port.revertAndPush(request({ base: worse, bad: worse }));
    expect(r.reverted).toEqual([worse, bad]);
    expect(await git(repo, ['rev-parse', `${r.commit}:apps/venue`])).toBe(
      await git(repo, ['rev-parse', `${good}:apps/venue`]),
    );
    expect(await git(repo, ['rev-parse', `${r.commit}:apps-of-apps`])).toBe(
      await git(repo, ['rev-parse', `${parent}:apps-of-apps`]),
    );
    expect(await git(repo, ['diff', '--name-only', good, r.commit])).toBe('apps-of-apps/venue.yaml\n');
  });

  it('a branch that moved since the plan: git refuses the push (non-fast-forward), nothing is written', async () => {
    const fix = await commitDirectory(repo, 'other-app', { 'a.yaml': 'x: 2\n' }, 'a teammate');
    const err = await port.revertAndPush(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('refused');
    expect((err as Error).message).toMatch(/rejected \(non-fast-forward\).*was [0-9a-f]{7}, now [0-9a-f]{7}/);
    expect(await branchHead(repo)).toBe(fix);
  });

  it('a revert that conflicts with a later commit is refused, naming the file', async () => {
    const later = await commitDirectory(
      repo,
      'apps/venue',
      release('venue:v1.2.3-hotfix', 'extra: 1\n'),
      'hotfix',
    );
    const err = await port.revertAndPush(request({ base: later })).catch((e: unknown) => e);
    expect((err as RipcordError).kind).toBe('refused');
    expect((err as Error).message).toContain('apps/venue/deployment.yaml');
    expect(await branchHead(repo)).toBe(later);
  });

  it('targetRevision HEAD is the remote default branch; an unknown branch is named', async () => {
    const r = await port.revertAndPush(request({ branch: 'HEAD' }));
    expect(await branchHead(repo)).toBe(r.commit);
    const err = await port.revertAndPush(request({ branch: 'release-9' })).catch((e: unknown) => e);
    expect((err as RipcordError).kind).toBe('invalid');
    expect((err as Error).message).toContain('branch release-9 does not exist');
  });

  it('a token never reaches a message, and an unreachable remote says so', async () => {
    const tokenFile = join(root, 'token');
    writeFileSync(tokenFile, 's3cr3t-t0ken\n', { mode: 0o600 });
    const err = await port
      .revertAndPush(
        request({
          url: 'http://127.0.0.1:9/venue.git',
          credentials: { kind: 'token', file: tokenFile, username: 'x-access-token' },
        }),
      )
      .catch((e: unknown) => e);
    expect((err as RipcordError).kind).toBe('unreachable');
    const text = `${(err as Error).message} ${JSON.stringify(err)}`;
    expect(text).not.toContain('s3cr3t-t0ken');
    expect(text).not.toContain(Buffer.from('x-access-token:s3cr3t-t0ken').toString('base64'));
    expect(text).toContain('127.0.0.1:9');
  });

  it('an aborted run stops git and pushes nothing', async () => {
    const ac = new AbortController();
    ac.abort(new Error('operator pressed ctrl-c'));
    const err = await port.revertAndPush(request({ signal: ac.signal })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(await branchHead(repo)).toBe(bad);
  });
});
