import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { notifierOf } from '../../app/ports.js';
import { getService } from '../../config/services.js';
import { RipcordError } from '../../core/errors.js';
import { testNotification } from '../../core/notify/message.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { loadCliConfig, systemClock } from '../service-context.js';
import { summary } from '../command-index.js';

export function registerNotifyCommands(program: Command): void {
  const notify = program.command('notify').description(summary('notify'));
  notify
    .command('test <service>')
    .description('send a test message to every configured channel of the service (exit 4 if one fails)')
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        const service = getService(await loadCliConfig(g), name);
        const notifier = notifierOf(service);
        if (notifier.channels.length === 0) {
          throw new RipcordError(
            'invalid',
            `${name}: no notification channel is configured (notify.slack.webhookUrl, notify.pagerduty.routingKey or notify.webhooks; an empty \${VAR:-} means off)`,
          );
        }
        const at = systemClock.now();
        const testId = `ripcord-test-${at.getTime()}-${randomBytes(2).toString('hex')}`;
        const outcomes = await notifier.send(
          testNotification({ service: name, at: at.toISOString(), testId }),
        );
        emit(g, { service: name, testId, outcomes }, () =>
          outcomes
            .map((o) =>
              o.ok
                ? `${o.channel}: ok (HTTP ${o.status}, ${o.attempts} attempt(s))`
                : `${o.channel}: FAILED: ${o.error ?? 'unknown error'}`,
            )
            .join('\n'),
        );
        if (outcomes.some((o) => !o.ok)) process.exitCode = 4;
      }),
    );
}
