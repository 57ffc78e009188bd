/** `services.<name>.blueGreen` compiled: defaults filled in, durations in milliseconds. */
import { parseDuration } from '../core/duration.js';
import type { BlueGreenSettings } from './schema-blue-green.js';

export interface CompiledBlueGreen {
  /** The Service whose selector picks the live colour. */
  service: string;
  selectorKey: string;
  /** Colour (the selector value) → its Deployment, in the file's order. */
  colours: Record<string, string>;
  minReadyShare: number;
  scaleDownAfterMs: number;
  readyTimeoutMs: number;
  /** Lower-case header name; absent: "answered by the target release" is not checked. */
  releaseHeader?: string;
  at: string;
}

export function compileBlueGreen(s: BlueGreenSettings, serviceName: string, at: string): CompiledBlueGreen {
  return {
    service: s.service ?? serviceName,
    selectorKey: s.selectorKey ?? 'version',
    colours: { ...s.colours },
    minReadyShare: s.minReadyShare ?? 1,
    scaleDownAfterMs: parseDuration(s.scaleDownAfter ?? '30s', `${at}.scaleDownAfter`),
    readyTimeoutMs: parseDuration(s.readyTimeout ?? '3m', `${at}.readyTimeout`),
    ...(s.releaseHeader ? { releaseHeader: s.releaseHeader.toLowerCase() } : {}),
    at,
  };
}
