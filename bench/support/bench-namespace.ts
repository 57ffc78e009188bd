/** A namespace of the sandbox for one benchmark run, with venue-service's database Secret, torn down untimed. */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { apiStatus } from '../../src/sandbox/kube-clients.js';
import { createDatabase, dropDatabase } from '../../src/sandbox/postgres.js';
import { putDatabaseSecret } from '../../src/sandbox/sandbox.js';
import type { SandboxState } from '../../src/sandbox/state.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates `name` with the database Secret; `drop` deletes both and waits for the pods to go. */
export async function namespaceFor(
  env: { kc: KubeConfig; state: SandboxState },
  name: string,
): Promise<{ drop: () => Promise<void> }> {
  const core = env.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { 'ripcord.dev/bench': 'true' } } } });
  const pg = env.state.postgres?.url ?? '';
  const db = `bench_${name.replace(/-/g, '_')}`;
  await putDatabaseSecret(env.kc, name, await createDatabase(pg, db));
  return {
    drop: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
      // Waited for, untimed: the old pods' teardown must not share the CPU with the next run's measurement.
      const end = Date.now() + 90_000;
      for (;;) {
        try {
          await core.readNamespace({ name });
        } catch (err) {
          if (apiStatus(err) === 404) break;
          throw err;
        }
        if (Date.now() > end) {
          process.stderr.write(`warning: namespace ${name} still terminating after 90 s\n`);
          break;
        }
        await sleep(500);
      }
      await dropDatabase(pg, db).catch(() => undefined);
    },
  };
}
