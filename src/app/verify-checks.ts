/**
 * The verify-checks step's dependencies from the current config (core/steps/verify-checks.ts): smoke checks
 * over HTTP, the database by `SELECT 1` or the health answer, the new pods' logs through the Kubernetes API,
 * and the configured verify commands. Secrets (the database URL, the commands' env) are read here, at run time,
 * and never enter the plan.
 */
import { failed } from '../core/verify/item.js';
import type { VerifyChecksDeps } from '../core/steps/verify-checks.js';
import type { ScenarioContext } from '../scenarios/types.js';
import { runSmokeChecks } from './watch/smoke-checks.js';

export function verifyChecksDeps(ctx: ScenarioContext): VerifyChecksDeps {
  const s = ctx.service;
  const v = ctx.ports.verification;
  return {
    smoke: (checks) =>
      runSmokeChecks(
        checks.map((c) => ({ ...c, method: c.method as 'GET' })),
        s.health.timeoutMs,
      ),
    pingDatabase: (signal) => v.pingDatabase(s.database?.url ?? '', { timeoutMs: 10_000, signal }),
    databaseFromHealth: (url, signal) => v.databaseFromHealth(url, { timeoutMs: s.health.timeoutMs, signal }),
    logs: (d, signal) =>
      v.logs(d, { ...(s.verify.logs.patterns ? { patterns: s.verify.logs.patterns } : {}), signal }),
    command: (name, signal) => {
      const cmd = s.verify.commands.find((c) => c.name === name);
      // A resumed plan names a command the config no longer has: that is a failure, not a skip.
      if (!cmd)
        return Promise.resolve(
          failed(`command:${name}`, `no verify command "${name}" in the config any more`),
        );
      return v.command(cmd, { signal, secrets: Object.values(cmd.env).filter((x) => x.length >= 4) });
    },
  };
}
