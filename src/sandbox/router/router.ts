import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { apiStatus, loadKubeConfig } from '../kube-clients.js';
import { startReflector, type ListResult, type Reflector } from './reflector.js';
import {
  DestinationRule,
  HTTPRoute,
  PodObject,
  ServiceObject,
  VirtualService,
  type ServicePort,
} from './resource-schemas.js';
import { routedPorts } from './routed-ports.js';
import { errorText, jsonLineLog, type RouterLog } from './router-log.js';
import { writeRoutes, type RoutesFile } from './routes.js';
import { openServiceListener, type ServiceListener } from './service-listener.js';
import { planTraffic, type ClusterView, type TrafficPlan, type WeightedDestination } from './traffic-plan.js';

export interface RouterOptions {
  /** Kubeconfig file to load; ignored when `kc` is given. */
  kubeconfig?: string;
  kc?: KubeConfig;
  /** Where the `"<ns>/<service>"` → URL map is written on every change. */
  routesFile: string;
  /** Address the listeners bind; loopback unless a test says otherwise. */
  host?: string;
  log?: RouterLog;
  /** Uniform in [0, 1) for weighted splits. */
  random?: () => number;
  /** How long to wait for the first list of Services and Pods before giving up. */
  syncTimeoutMs?: number;
}

/** A running router; `stop` closes every listener and removes the routes file. */
export interface RunningRouter {
  stop(): Promise<void>;
}

// Each list tries the storage version of the sandbox CRDs first, then the older one some installs serve alone.
const ISTIO = { group: 'networking.istio.io', versions: ['v1beta1', 'v1alpha3'] };
const GATEWAY = { group: 'gateway.networking.k8s.io', versions: ['v1', 'v1beta1'] };

const CustomList = z.object({
  items: z.array(z.unknown()).nullish(),
  metadata: z.object({ resourceVersion: z.string().nullish() }).nullish(),
});

function listCustom(
  custom: CustomObjectsApi,
  api: { group: string; versions: readonly string[] },
  plural: string,
): () => Promise<ListResult> {
  const { group } = api;
  return async () => {
    let notServed: unknown;
    for (const version of api.versions) {
      try {
        const list = CustomList.parse(await custom.listClusterCustomObject({ group, version, plural }));
        return {
          items: list.items ?? [],
          resourceVersion: list.metadata?.resourceVersion ?? '',
          watchPath: `/apis/${group}/${version}/${plural}`,
        };
      } catch (err) {
        if (apiStatus(err) !== 404) throw err;
        notServed = err;
      }
    }
    throw notServed;
  };
}

/** A one-line account of where a plan sends traffic, logged when it changes. */
function describePlan(plan: TrafficPlan): string {
  if (plan.kind === 'service')
    return plan.endpoints.map((e) => `${e.pod}@${e.ip}:${e.port}`).join(' ') || '(none)';
  const dest = (d: WeightedDestination) =>
    `${d.key}=${d.weight}[${d.problem ?? (d.endpoints.map((e) => e.pod).join(' ') || 'none')}]`;
  const routes = plan.routes
    .map((r) => {
      const mirrors = r.mirrors.map((m) => ` mirror ${m.percent}% ${dest(m.destination)}`).join('');
      return `${r.label}: ${r.destinations.map(dest).join(' ') || '(no destinations)'}${mirrors}`;
    })
    .join('; ');
  return `${plan.router.kind} ${plan.router.name}: ${routes || '(no routes)'}`;
}

interface OpenListener {
  listener: ServiceListener;
  described: string;
}

/**
 * Starts the sandbox's kube-proxy: watches Services, Pods, VirtualServices, DestinationRules and HTTPRoutes, keeps one
 * loopback listener per Service TCP port, and writes the routes file. Resolves once the first routes file
 * is written.
 */
export async function startRouter(opts: RouterOptions): Promise<RunningRouter> {
  const file = opts.kubeconfig ?? process.env.KUBECONFIG;
  if (!opts.kc && !file) throw new Error('startRouter: pass `kc` or `kubeconfig` (or set KUBECONFIG)');
  const kc = opts.kc ?? loadKubeConfig(file ?? '');
  const log = opts.log ?? jsonLineLog();
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const listeners = new Map<string, OpenListener>();
  let lastRoutes: string | undefined;
  let stopped = false;

  // Every event asks for one reconcile; bursts (a relist, a rollout) coalesce into a few.
  let scheduled = false;
  let dirty = false;
  let running: Promise<void> | undefined;
  const schedule = (): void => {
    if (stopped || scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void reconcile();
    });
  };
  const reconcile = async (): Promise<void> => {
    if (running) {
      dirty = true;
      return running;
    }
    running = (async () => {
      do {
        dirty = false;
        try {
          await reconcileOnce();
        } catch (err) {
          log('error', 'reconcile failed', { error: errorText(err) });
        }
      } while (dirty && !stopped);
    })();
    try {
      await running;
    } finally {
      running = undefined;
    }
  };

  const common = { kc, log, onChange: schedule };
  const services: Reflector<ServiceObject> = startReflector({
    ...common,
    what: 'services',
    parse: (raw) => ServiceObject.parse(raw),
    list: async () => {
      const l = await core.listServiceForAllNamespaces();
      return {
        items: l.items,
        resourceVersion: l.metadata?.resourceVersion ?? '',
        watchPath: '/api/v1/services',
      };
    },
  });
  const pods: Reflector<PodObject> = startReflector({
    ...common,
    what: 'pods',
    parse: (raw) => PodObject.parse(raw),
    list: async () => {
      const l = await core.listPodForAllNamespaces();
      return {
        items: l.items,
        resourceVersion: l.metadata?.resourceVersion ?? '',
        watchPath: '/api/v1/pods',
      };
    },
  });
  const virtualServices: Reflector<VirtualService> = startReflector({
    ...common,
    what: 'virtualservices',
    parse: (raw) => VirtualService.parse(raw),
    list: listCustom(custom, ISTIO, 'virtualservices'),
  });
  const destinationRules: Reflector<DestinationRule> = startReflector({
    ...common,
    what: 'destinationrules',
    parse: (raw) => DestinationRule.parse(raw),
    list: listCustom(custom, ISTIO, 'destinationrules'),
  });
  const httpRoutes: Reflector<HTTPRoute> = startReflector({
    ...common,
    what: 'httproutes',
    parse: (raw) => HTTPRoute.parse(raw),
    list: listCustom(custom, GATEWAY, 'httproutes'),
  });
  const reflectors = [services, pods, virtualServices, destinationRules, httpRoutes];

  async function reconcileOnce(): Promise<void> {
    if (stopped || !services.hasSynced() || !pods.hasSynced()) return;
    const view: ClusterView = {
      services: services.items(),
      pods: pods.items(),
      virtualServices: virtualServices.items(),
      destinationRules: destinationRules.items(),
      httpRoutes: httpRoutes.items(),
    };
    const wanted = new Map<string, { svc: ServiceObject; sp: ServicePort }>();
    for (const svc of view.services) {
      for (const sp of routedPorts(svc))
        wanted.set(`${svc.metadata.namespace}/${svc.metadata.name}:${sp.port}`, { svc, sp });
    }
    for (const [key, open] of listeners) {
      if (wanted.has(key)) continue;
      listeners.delete(key);
      await open.listener.close();
      log('info', 'listener closed', { target: key, url: open.listener.url });
    }
    for (const [key, { svc, sp }] of wanted) {
      const plan = planTraffic(view, svc, sp);
      const described = describePlan(plan);
      const open = listeners.get(key);
      if (open) {
        open.listener.setPlan(plan);
        if (open.described !== described) log('info', 'routing changed', { target: key, routing: described });
        open.described = described;
        continue;
      }
      try {
        const listener = await openServiceListener({ plan, log, host: opts.host, random: opts.random });
        listeners.set(key, { listener, described });
        log('info', 'listener opened', { target: key, url: listener.url, routing: described });
      } catch (err) {
        // Left out of the routes file; the next change tries again.
        log('error', 'could not open a listener', { target: key, error: errorText(err) });
      }
    }
    writeRoutesIfChanged(view.services);
  }

  function writeRoutesIfChanged(all: readonly ServiceObject[]): void {
    const routes: RoutesFile = {};
    const sorted = [...all].sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace}/${b.metadata.name}`,
      ),
    );
    for (const svc of sorted) {
      const id = `${svc.metadata.namespace}/${svc.metadata.name}`;
      const ports: Record<string, string> = {};
      let first: string | undefined;
      for (const sp of routedPorts(svc)) {
        const open = listeners.get(`${id}:${sp.port}`);
        if (!open) continue;
        ports[String(sp.port)] = open.listener.url;
        first ??= open.listener.url;
      }
      if (first) routes[id] = { url: first, ports };
    }
    const text = JSON.stringify(routes);
    if (text === lastRoutes) return;
    writeRoutes(opts.routesFile, routes);
    lastRoutes = text;
  }

  const stopAll = async (): Promise<void> => {
    stopped = true;
    for (const r of reflectors) r.stop();
    await running;
    await Promise.all([...listeners.values()].map((o) => o.listener.close()));
    listeners.clear();
    // A routes file left behind would name ports nobody listens on any more.
    rmSync(opts.routesFile, { force: true });
  };

  const syncTimeoutMs = opts.syncTimeoutMs ?? 60_000;
  const timedOut = Symbol('timeout');
  const first = await Promise.race([
    Promise.all([services.synced, pods.synced]),
    sleep(syncTimeoutMs, timedOut, { ref: false }),
  ]);
  if (first === timedOut) {
    await stopAll();
    throw new Error(`the router could not list Services and Pods within ${syncTimeoutMs} ms (see its log)`);
  }
  // The routing types answer at once, with objects or a 404; waiting briefly keeps a restarted router from
  // sending a canary's traffic share anywhere else for a moment.
  await Promise.race([
    Promise.all([virtualServices.synced, destinationRules.synced, httpRoutes.synced]),
    sleep(5000, undefined, { ref: false }),
  ]);
  await reconcile();
  log('info', 'router ready', { listeners: listeners.size, routesFile: opts.routesFile });
  return { stop: stopAll };
}
