import { join } from 'node:path';
import { AppsV1Api, RbacAuthorizationV1Api, type V1Role } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifests, applyObjects } from '../../src/sandbox/apply.js';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { RIPCORD_CONTEXT } from '../../src/sandbox/control-plane/kubeconfig.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord } from '../support/cli.js';
import { adminKubeConfig, deployVenueService, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

// Everything of the app rollback works through the sandbox's `ripcord` ServiceAccount bound to the shipped
// least-privilege Role; with one verb removed, the error names the verb and resource (exit 5, not 4).
describe('least-privilege RBAC (deploy/rbac/ripcord-role.yaml) through the ripcord ServiceAccount', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let config: string;
  const rbac = () => adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);

  beforeAll(async () => {
    ns = await testNamespace('rbac');
    const url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 1 });
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
    await applyObjects(
      adminKubeConfig(),
      ns.name,
      readManifests(join(repoRoot(), 'deploy', 'rbac', 'ripcord-role.yaml')),
    );
    config = writeServiceConfig({ namespace: ns.name, url, context: RIPCORD_CONTEXT, verifyWindow: '1s' });
  });
  afterAll(async () => ns?.cleanup());

  it('without the Role, the error names the missing verb and resource (exit 5)', async () => {
    const other = writeServiceConfig({
      namespace: 'default',
      url: 'http://127.0.0.1:9',
      context: RIPCORD_CONTEXT,
    });
    const res = await ripcord(['--config', other, 'history', 'venue-service']);
    expect(res.code).toBe(5);
    expect(res.stderr).toMatch(/cannot get.*deployments/);
  });

  it('history, plan, rollback and status work with exactly the shipped Role', async () => {
    for (const args of [
      ['history', 'venue-service'],
      ['plan', 'venue-service'],
      ['status', 'venue-service'],
    ]) {
      const res = await ripcord(['--config', config, ...args]);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
    }
    const rb = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes']);
    expect(rb.code, rb.stderr).toBe(0);
    const d = await adminKubeConfig()
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: 'venue-service', namespace: ns.name });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('venue-service:v1.2.2');
  });

  it('with patch on deployments removed, rollback fails naming verb and resource, and changes nothing', async () => {
    const role = await rbac().readNamespacedRole({ name: 'ripcord', namespace: ns.name });
    const rules = (role.rules ?? []).map((r) =>
      r.resources?.includes('deployments') ? { ...r, verbs: r.verbs.filter((v) => v !== 'patch') } : r,
    );
    await rbac().replaceNamespacedRole({
      name: 'ripcord',
      namespace: ns.name,
      body: { ...role, rules } as V1Role,
    });
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
    const apps = adminKubeConfig().makeApiClient(AppsV1Api);
    const before = (await apps.readNamespacedDeployment({ name: 'venue-service', namespace: ns.name }))
      .metadata?.generation;
    const res = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes']);
    expect(res.code, res.stdout + res.stderr).toBe(5);
    expect(res.stdout + res.stderr).toMatch(/cannot patch.*deployments/);
    const after = await apps.readNamespacedDeployment({ name: 'venue-service', namespace: ns.name });
    expect(after.metadata?.generation).toBe(before);
    expect(after.spec?.template.spec?.containers[0]?.image).toBe('venue-service:v1.2.3');
  });
});
