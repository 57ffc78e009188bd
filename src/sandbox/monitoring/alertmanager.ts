import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { launchServer, type StartedServer } from './launch.js';

/** Debian's binary; RIPCORD_ALERTMANAGER_BIN overrides it (upstream calls it plain `alertmanager`). */
export function alertmanagerBin(): string {
  return process.env.RIPCORD_ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';
}

export interface StartAlertmanagerOptions {
  /** Holds alertmanager.yml and the notification log/silences (`data/`). */
  dir: string;
  /** Fixed port on 127.0.0.1; a free one is picked when left out. */
  port?: number;
  logFile: string;
  /** Where to POST notifications (Alertmanager webhook format); alerts are only kept in the API otherwise. */
  webhookUrl?: string;
}

/**
 * The alertmanager.yml the sandbox runs with. Pure, so it can be checked without a server.
 * Short group_wait/group_interval so a test sees a notification seconds after the alert fires; a long
 * repeat_interval so a firing alert does not flood the webhook.
 */
export function alertmanagerConfig(input: { webhookUrl?: string }): Record<string, unknown> {
  const receiver = input.webhookUrl
    ? { name: 'webhook', webhook_configs: [{ url: input.webhookUrl, send_resolved: true }] }
    : // A receiver with no integrations is valid: alerts are grouped and shown by the API, nobody is called.
      { name: 'null' };
  return {
    route: {
      receiver: receiver.name,
      group_by: ['alertname', 'namespace'],
      group_wait: '1s',
      group_interval: '5s',
      repeat_interval: '1h',
    },
    receivers: [receiver],
  };
}

/**
 * Starts Alertmanager on a loopback port with a generated config and waits for /-/ready.
 * `--cluster.listen-address=` (empty) turns off the gossip cluster, which would otherwise bind 0.0.0.0:9094
 * and collide with a second sandbox or a system Alertmanager.
 */
export async function startAlertmanager(opts: StartAlertmanagerOptions): Promise<StartedServer> {
  const dir = resolve(opts.dir);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, stringify(alertmanagerConfig({ webhookUrl: opts.webhookUrl })));
  return launchServer({
    name: 'alertmanager',
    port: opts.port,
    log: opts.logFile,
    configFile,
    readyPath: '/-/ready',
    daemon: (port) => ({
      command: alertmanagerBin(),
      args: [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=http://127.0.0.1:${port}/`,
        '--cluster.listen-address=',
      ],
      cwd: dir,
    }),
  });
}
