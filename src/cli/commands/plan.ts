import type { Command } from 'commander';
import { planText } from '../format/plan-text.js';
import { autoRecord } from '../config-records.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { addScenarioOptions, makePlan, type ScenarioFlags } from '../scenarios/index.js';
import { withServiceContext } from '../service-context.js';

export function registerPlanCommand(program: Command): void {
  addScenarioOptions(
    program
      .command('plan <service>')
      .description('the ordered rollback steps, what each changes and why; changes nothing'),
  ).action(
    action(async (name: string, o: ScenarioFlags, cmd: Command) => {
      const g = globalOptions(cmd);
      await withServiceContext(g, name, async (ctx) => {
        // Validate (plan) first: bad input writes nothing, the config record included.
        const plan = await makePlan(ctx, o);
        await autoRecord(ctx);
        emit(g, plan, () => planText(plan));
      });
    }),
  );
}
