import type { Command } from 'commander';
import { planText } from '../format/plan-text.js';
import { autoRecord } from '../../scenarios/config/revision-records.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { makePlan } from '../../app/plan-rollback.js';
import { addScenarioOptions } from '../../scenarios/options.js';
import { SCENARIOS } from '../../scenarios/registry.js';
import type { RawScenarioFlags } from '../../scenarios/types.js';
import { withServiceContext } from '../service-context.js';
import { summary } from '../command-index.js';
import { planningView } from '../../app/planning-view.js';

export function registerPlanCommand(program: Command): void {
  addScenarioOptions(program.command('plan <service>').description(summary('plan')), SCENARIOS).action(
    action(async (name: string, o: RawScenarioFlags, cmd: Command) => {
      const g = globalOptions(cmd);
      await withServiceContext(g, name, async (ctx) => {
        // Validate (plan) first: bad input writes nothing, the config record included.
        // One read of the Deployment for the plan and the record (app/planning-view.ts).
        const view = planningView(ctx);
        const plan = await makePlan(view, o);
        await autoRecord(view);
        emit(g, plan, () => planText(plan));
      });
    }),
  );
}
