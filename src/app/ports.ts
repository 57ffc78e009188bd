/**
 * The one place the ports are built: every entry point (CLI command, watch, controller, later the dashboard)
 * calls buildPorts with its Kubernetes access and gets the same adapters, each honouring the run's deadline and
 * AbortSignal. Scenarios and the step library receive the result; nothing else constructs an adapter.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { createHttpProbe } from '../adapters/http/probe.js';
import type { KubeApiOptions } from '../adapters/kubernetes/api-client.js';
import { createConfigObjectsAdapter } from '../adapters/kubernetes/config-objects.js';
import { createDeploymentEnvAdapter } from '../adapters/kubernetes/env-patch.js';
import { createScaleAdapter, createServiceSelectorAdapter } from '../adapters/kubernetes/traffic-objects.js';
import { createTrafficRouter } from '../adapters/kubernetes/traffic-router.js';
import { createNotifier } from '../adapters/notify/notifier.js';
import { openMigrationsDb } from '../adapters/postgres-migrations/migrations-db.js';
import { createMetricsPort } from '../adapters/prometheus/metrics-port.js';
import { createUnleashAdmin } from '../adapters/unleash/admin-api.js';
import { createLaunchDarkly } from '../adapters/launchdarkly/rest-api.js';
import { createConfigCat } from '../adapters/configcat/management-api.js';
import { createGitRevert } from '../adapters/git/revert-push.js';
import { createArgoCdApi } from '../adapters/argocd/argocd-api.js';
import { createCustomObjectReader } from '../adapters/kubernetes/custom-object-reader.js';
import { vaultClientFor } from '../adapters/vault/connect.js';
import type { CompiledService } from '../config/compile.js';
import { RipcordError } from '../core/errors.js';
import type { LockKeeper } from '../core/lock-keeper.js';
import type { AlertsPort, KubernetesPort, NotifierPort } from '../core/ports.js';
import { alerts as alertmanagerAlerts } from '../adapters/alertmanager/client.js';
import type { Ports } from '../scenarios/types.js';
import { notifyConfig } from './notify-run.js';
import { createVerificationPort } from './verification-port.js';

/** The flag services' clients (the flag rollback), each built per step from the current config. */
export const flagServicePorts: Pick<Ports, 'unleash' | 'launchdarkly' | 'configcat'> = {
  unleash: (o) => createUnleashAdmin(o),
  launchdarkly: (o) => createLaunchDarkly(o),
  configcat: (o) => createConfigCat(o),
};

export interface PortInputs {
  service: CompiledService;
  kc: KubeConfig;
  kubeOptions: KubeApiOptions;
  kube: KubernetesPort;
  locks: LockKeeper;
  /** Registers cleanup run when the entry point closes (database pools). */
  onClose(fn: () => Promise<void>): void;
  log(line: string): void;
  env?: NodeJS.ProcessEnv;
}

function alertsPort(alertmanagerUrl: string): AlertsPort {
  return {
    async firing(labels) {
      // Rules label the service in different ways (app, service, deployment, or only its namespace): ask for the
      // namespace and keep alerts that name this service, or name none — an alert on the namespace counts.
      const { app, ...rest } = labels;
      const found = await alertmanagerAlerts(alertmanagerUrl, rest, {
        active: true,
        silenced: false,
        inhibited: false,
      });
      const names = (a: (typeof found)[number]) =>
        ['app', 'service', 'deployment'].map((k) => a.labels[k]).filter((v): v is string => v !== undefined);
      return found
        .filter((a) => app === undefined || names(a).length === 0 || names(a).includes(app))
        .map((a) => ({ name: a.labels.alertname ?? '?', since: a.startsAt }));
    },
  };
}

/** The service's notifier (its `notify:`, else no channels); also for `notify test`, which needs no cluster. */
export function notifierOf(service: CompiledService): NotifierPort {
  return createNotifier(notifyConfig({ service }));
}

export function buildPorts(i: PortInputs): Ports {
  const env = i.env ?? process.env;
  let notifier: NotifierPort | undefined;
  return {
    kube: i.kube,
    probe: createHttpProbe(),
    config: createConfigObjectsAdapter(i.kc, i.kubeOptions),
    deploymentEnv: createDeploymentEnvAdapter(i.kc, i.kubeOptions),
    services: createServiceSelectorAdapter(i.kc, i.kubeOptions),
    scale: createScaleAdapter(i.kc, i.kubeOptions),
    traffic: (kind) => {
      if (kind !== 'VirtualService' && kind !== 'HTTPRoute') {
        throw new RipcordError(
          'invalid',
          `traffic router: no adapter for ${kind} (VirtualService, HTTPRoute)`,
        );
      }
      return createTrafficRouter(kind, i.kc, i.kubeOptions);
    },
    locks: i.locks,
    // One notifier per entry point, shared by the run's own messages and its notify steps, so each channel
    // delivers them in the order they were sent.
    notifier: () => (notifier ??= notifierOf(i.service)),
    metrics: createMetricsPort,
    alerts: alertsPort,
    vault: (v, overrides) => vaultClientFor(v, overrides, env),
    vaultNamespace: (v) => v.namespace ?? env.VAULT_NAMESPACE,
    ...flagServicePorts,
    customObjects: createCustomObjectReader(i.kc, i.kubeOptions),
    argocd: (o) => createArgoCdApi({ url: o.url, token: o.token, timeoutMs: o.requestTimeoutMs }),
    git: createGitRevert(),
    database: (settings) => {
      const db = openMigrationsDb(settings);
      i.onClose(() => db.close());
      return db;
    },
    verification: createVerificationPort(i.kc, i.kube),
    log: i.log,
  };
}
