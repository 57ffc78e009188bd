/** The metric profiles by name, and a profile with the team's label names put over its own. */
import { ISTIO } from './istio.js';
import { LINKERD } from './linkerd.js';
import { MICROMETER } from './micrometer.js';
import { NGINX_INGRESS } from './nginx-ingress.js';
import { OTEL } from './otel.js';
import { PROM_CLIENT } from './prom-client.js';
import type { MetricsSettings, ProfileName } from '../../../core/metrics-settings.js';
import type { MetricProfile } from './types.js';

export * from './types.js';
export { PROM_CLIENT };

const PROFILES: Record<ProfileName, MetricProfile> = {
  'prom-client': PROM_CLIENT,
  istio: ISTIO,
  linkerd: LINKERD,
  'nginx-ingress': NGINX_INGRESS,
  micrometer: MICROMETER,
  otel: OTEL,
};

export function profileFor(s: MetricsSettings | undefined): MetricProfile {
  const p = PROFILES[s?.profile ?? 'prom-client'];
  return {
    ...p,
    ...(s?.labels ? { labels: { ...p.labels, ...s.labels } } : {}),
    ...(s?.releaseBy ? { releaseBy: s.releaseBy } : {}),
    ...(s?.queries ? { custom: s.queries } : {}),
  };
}
