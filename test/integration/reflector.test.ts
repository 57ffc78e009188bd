import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { waitFor } from '../../src/sandbox/process.js';
import { startReflector, type Reflector } from '../../src/sandbox/router/reflector.js';

/*
 * The reflector against a scripted apiserver, for the failures a real one shows only now and then: watches
 * the server ends, "410 Gone", a watch refused with 500, a resource type that is not served yet.
 */

const Thing = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string() }),
  value: z.number(),
});
type Thing = z.infer<typeof Thing>;

function thing(name: string, value: number, rv: number) {
  return { metadata: { name, namespace: 'ns', resourceVersion: String(rv) }, value };
}

interface FakeApi {
  server: Server;
  url: string;
  /** Objects a list returns, and its resourceVersion. */
  items: unknown[];
  rv: number;
  listStatus: number;
  watchStatus: number;
  lists: number;
  /** resourceVersion of every watch request, in order. */
  watchedFrom: string[];
  /** Open watch responses; the test writes events into them or ends them. */
  watches: ServerResponse[];
}

async function fakeApi(): Promise<FakeApi> {
  const api = {
    items: [],
    rv: 10,
    listStatus: 200,
    watchStatus: 200,
    lists: 0,
    watchedFrom: [],
    watches: [],
  } as unknown as FakeApi;
  api.server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.searchParams.get('watch') === 'true') {
      api.watchedFrom.push(u.searchParams.get('resourceVersion') ?? '');
      if (api.watchStatus !== 200) {
        res.writeHead(api.watchStatus).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      api.watches.push(res);
      return;
    }
    api.lists++;
    if (api.listStatus !== 200) {
      res.writeHead(api.listStatus, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ metadata: { resourceVersion: String(api.rv) }, items: api.items }));
  });
  api.server.listen(0, '127.0.0.1');
  await once(api.server, 'listening');
  api.url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  return api;
}

function send(res: ServerResponse | undefined, type: string, object: unknown): void {
  res?.write(JSON.stringify({ type, object }) + '\n');
}

describe('reflector', () => {
  let api: FakeApi;
  let reflector: Reflector<Thing> | undefined;

  afterEach(async () => {
    reflector?.stop();
    api.server.closeAllConnections();
    api.server.close();
  });

  async function start(initial: { items?: unknown[]; listStatus?: number } = {}): Promise<void> {
    api = await fakeApi();
    api.items = initial.items ?? [];
    api.listStatus = initial.listStatus ?? 200;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'fake' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
      currentContext: 'fake',
    });
    reflector = startReflector({
      kc,
      what: 'things',
      log: () => {},
      parse: (raw) => Thing.parse(raw),
      onChange: () => {},
      maxBackoffMs: 100,
      list: async () => {
        const res = await fetch(`${api.url}/apis/x/v1/things`);
        if (res.status !== 200) throw new ApiException(res.status, 'list failed', {}, {});
        const body = (await res.json()) as { items: unknown[]; metadata: { resourceVersion: string } };
        return {
          items: body.items,
          resourceVersion: body.metadata.resourceVersion,
          watchPath: '/apis/x/v1/things',
        };
      },
    });
  }

  const values = () =>
    Object.fromEntries((reflector?.items() ?? []).map((t) => [t.metadata.name, t.value])) as Record<
      string,
      number
    >;

  it('lists, then applies watch events, skipping objects of the wrong shape', async () => {
    await start({ items: [thing('a', 1, 5), { metadata: { name: 'bad', namespace: 'ns' }, value: 'x' }] });
    await reflector?.synced;
    expect(values()).toEqual({ a: 1 });
    await waitFor('a watch', async () => api.watches.length === 1, 5000, 20);
    expect(api.watchedFrom).toEqual(['10']);
    send(api.watches[0], 'ADDED', thing('b', 2, 11));
    send(api.watches[0], 'MODIFIED', thing('a', 3, 12));
    send(api.watches[0], 'DELETED', thing('b', 2, 13));
    send(api.watches[0], 'BOOKMARK', { metadata: { resourceVersion: '20' } });
    await waitFor('events applied', async () => values().a === 3 && values().b === undefined, 5000, 20);
    // The server ends the watch normally (its timeout): continue from the last version seen, no relist.
    api.watches[0]?.end();
    await waitFor('a second watch', async () => api.watches.length === 2, 5000, 20);
    expect(api.watchedFrom).toEqual(['10', '20']);
    expect(api.lists).toBe(1);
  });

  it('relists on 410 Gone and on a failed watch, dropping objects deleted meanwhile', async () => {
    await start({ items: [thing('a', 1, 5), thing('b', 2, 6)] });
    await reflector?.synced;
    await waitFor('a watch', async () => api.watches.length === 1, 5000, 20);
    api.items = [thing('a', 1, 5)];
    api.rv = 30;
    send(api.watches[0], 'ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    api.watches[0]?.end();
    await waitFor('a relist without b', async () => api.lists === 2 && values().b === undefined, 5000, 20);
    await waitFor('a watch from the new list', async () => api.watchedFrom.at(-1) === '30', 5000, 20);

    api.watchStatus = 500;
    api.items = [thing('a', 7, 31)];
    api.rv = 40;
    api.watches.at(-1)?.destroy();
    await waitFor('relist after the failed watch', async () => values().a === 7, 5000, 20);
    api.watchStatus = 200;
    await waitFor(
      'watching again',
      async () => api.watchedFrom.at(-1) === '40' && api.watches.length === 3,
      5000,
      20,
    );
  });

  it('treats a type that is not served as empty, and picks it up once it is', async () => {
    await start({ listStatus: 404 });
    await reflector?.synced;
    expect(reflector?.hasSynced()).toBe(true);
    expect(values()).toEqual({});
    api.items = [thing('late', 1, 5)];
    api.listStatus = 200;
    await waitFor('the late object', async () => values().late === 1, 5000, 20);
  });
});
