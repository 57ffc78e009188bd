/**
 * `ripcord status` for a service with flags: each configured flag's state, and its last change where the
 * provider keeps one (Unleash's event log, LaunchDarkly's lastModified, ConfigCat's updatedAt and who). An
 * env-var flag is read from the Deployment's template. A flag service that cannot be read is shown as "not
 * checked" with why, never as off.
 */
import type { DeploymentSnapshot } from '../../core/ports.js';
import { sectionOf } from '../../config/sections.js';
import type { CompiledService } from '../../config/compile.js';
import { envApplied, flagContainer, FLAG_SERVICES } from './plan.js';
import { flagServiceOf, type FlagServicePorts } from './scenario.js';

export interface FlagStatus {
  flag: string;
  provider: string;
  /** Where the flag lives, for people: `url project/feature@environment`, or the variable and container. */
  where: string;
  /** undefined: not checked (see `notChecked`). */
  on?: boolean;
  lastChange?: { at: string; by?: string };
  notChecked?: string;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Every configured flag's state, the flag services read at once. */
export async function flagStatus(
  ctx: { service: CompiledService; ports: FlagServicePorts },
  snapshot: DeploymentSnapshot,
  signal?: AbortSignal,
): Promise<FlagStatus[]> {
  const flags = Object.values(sectionOf(ctx.service, 'flags') ?? {});
  return Promise.all(
    flags.map(async (flag): Promise<FlagStatus> => {
      if (flag.provider === 'env') {
        const where = `env ${flag.variable}`;
        try {
          const c = flagContainer(snapshot, flag);
          const off = { container: c.name, variable: flag.variable, value: flag.offValue };
          const on = !envApplied([c], off);
          return { flag: flag.name, provider: 'env', where: `${where} (container ${c.name})`, on };
        } catch (err) {
          return { flag: flag.name, provider: 'env', where, notChecked: message(err) };
        }
      }
      const where = `${flag.url} ${flag.project}/${flag.feature}@${flag.environment}`;
      const ref = { project: flag.project, environment: flag.environment, feature: flag.feature };
      try {
        const st = await flagServiceOf(ctx.ports, flag).state(ref, signal ? { signal } : {});
        return {
          flag: flag.name,
          provider: flag.provider,
          where,
          on: st.on,
          ...(st.lastChange ? { lastChange: st.lastChange } : {}),
        };
      } catch (err) {
        return { flag: flag.name, provider: flag.provider, where, notChecked: message(err) };
      }
    }),
  );
}

export function flagStatusLines(flags: FlagStatus[]): string[] {
  if (flags.length === 0) return [];
  return [
    '  flags:',
    ...flags.map((f) => {
      const label =
        f.provider === 'env' ? 'env var' : FLAG_SERVICES[f.provider as keyof typeof FLAG_SERVICES].label;
      const state =
        f.on === undefined
          ? `not checked: ${f.notChecked ?? 'unknown'}`
          : `${f.on ? 'ON' : 'off'}${f.lastChange ? `, last changed ${f.lastChange.at}${f.lastChange.by ? ` by ${f.lastChange.by}` : ''}` : ''}`;
      return `    ${f.flag} (${label}, ${f.where}): ${state}`;
    }),
  ];
}
