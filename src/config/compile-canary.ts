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
    ...(s.releaseHeader ? { releaseHeader: s.releaseHeader.toLowerCase() } : {}),
    at,
  };
}
