/** `services.<name>.canary` compiled: defaults filled in, durations in milliseconds. */
import { parseDuration } from '../core/duration.js';
import type { CanarySettings } from './schema-canary.js';

export interface CompiledCanary {
  router: { kind: 'VirtualService' | 'HTTPRoute'; name: string; route?: string };
  stable: string;
  canary: string;
  canaryDeployment: string;
  stableDeployment: string;
  scaleDownAfterMs: number;
  /** The ready replicas stable needs for all traffic; absent: its spec.replicas. */
  stableReplicas?: number;
  readyTimeoutMs: number;
  /** Lower-case header name; absent: which release answers is not checked. */
  releaseHeader?: string;
  at: string;
}

export function compileCanary(s: CanarySettings, deployment: string, at: string): CompiledCanary {
  return {
    router: {
      kind: s.router.kind,
      name: s.router.name,
      ...(s.router.route ? { route: s.router.route } : {}),
    },
    stable: s.stable,
    canary: s.canary,
    canaryDeployment: s.canaryDeployment,
    stableDeployment: s.stableDeployment ?? deployment,
    scaleDownAfterMs: parseDuration(s.scaleDownAfter ?? '30s', `${at}.scaleDownAfter`),
    ...(s.stableReplicas !== undefined ? { stableReplicas: s.stableReplicas } : {}),
    readyTimeoutMs: parseDuration(s.readyTimeout ?? '3m', `${at}.readyTimeout`),
    ...(s.releaseHeader ? { releaseHeader: s.releaseHeader.toLowerCase() } : {}),
    at,
  };
}
