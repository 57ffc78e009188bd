import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { RipcordError } from '../../core/errors.js';
import { launchServer, type StartedServer } from './launch.js';

/** Debian's binary; RIPCORD_PROMETHEUS_BIN overrides it (e.g. a downloaded release on a laptop). */
export function prometheusBin(): string {
  return process.env.RIPCORD_PROMETHEUS_BIN ?? '/usr/bin/prometheus';
}

export interface StartPrometheusOptions {
  /** Holds prometheus.yml and the TSDB (`data/`). */
  dir: string;
  /** Where the kubelet writes one file_sd JSON file per pod. */
  targetsDir: string;
  /** Base URL of the Alertmanager to send alerts to; no alerting section when left out. */
  alertmanagerUrl?: string;
  /** Fixed port on 127.0.0.1; a free one is picked when left out. */
  port?: number;
  /** Scrape and rule-evaluation interval; short so tests see rates and alerts within seconds. Default 2. */
  scrapeIntervalSeconds?: number;
  logFile: string;
  /** Absolute (or cwd-relative) paths of rule files to load. */
  ruleFiles?: string[];
}

export interface PrometheusConfigInput {
  selfAddress: string;
  targetsDir: string;
  alertmanagerUrl?: string;
  scrapeIntervalSeconds: number;
  ruleFiles: string[];
}

/**
 * The prometheus.yml the sandbox runs with. Pure, so it can be checked without a server.
 * Labels from the file_sd entries (namespace, pod, app, pod_template_hash) become target labels as they are:
 * Prometheus attaches file_sd labels to every series scraped from that target, which is what the alert
 * rules group by.
 */
export function prometheusConfig(input: PrometheusConfigInput): Record<string, unknown> {
  const interval = `${input.scrapeIntervalSeconds}s`;
  const config: Record<string, unknown> = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: input.ruleFiles.map((f) => resolve(f)),
    scrape_configs: [
      {
        job_name: 'pods',
        file_sd_configs: [
          // Files are watched with inotify; the refresh interval is only a safety net for missed events.
          { files: [join(resolve(input.targetsDir), '*.json')], refresh_interval: '5s' },
        ],
      },
      { job_name: 'prometheus', static_configs: [{ targets: [input.selfAddress] }] },
    ],
  };
  if (input.alertmanagerUrl) {
    const am = new URL(input.alertmanagerUrl);
    const pathPrefix = am.pathname.replace(/\/+$/, '');
    config.alerting = {
      alertmanagers: [
        {
          scheme: am.protocol.replace(/:$/, ''),
          ...(pathPrefix ? { path_prefix: pathPrefix } : {}),
          api_version: 'v2',
          static_configs: [{ targets: [am.host] }],
        },
      ],
    };
  }
  return config;
}

/**
 * Starts Prometheus on a loopback port with a generated config and waits for /-/ready.
 * Every setting that matters is passed as a flag: Debian's /etc/default/prometheus and /etc/prometheus are
 * for the packaged systemd service, not for us. The remote-write receiver lets tests write synthetic series;
 * the lifecycle API lets `reloadPrometheus` pick up changed rules.
 */
export async function startPrometheus(opts: StartPrometheusOptions): Promise<StartedServer> {
  const dir = resolve(opts.dir);
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(resolve(opts.targetsDir), { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
  return launchServer({
    name: 'prometheus',
    port: opts.port,
    log: opts.logFile,
    configFile,
    readyPath: '/-/ready',
    daemon: (port) => {
      const address = `127.0.0.1:${port}`;
      // Rewritten per attempt: the self-scrape target names the port.
      const config = prometheusConfig({
        selfAddress: address,
        targetsDir: opts.targetsDir,
        alertmanagerUrl: opts.alertmanagerUrl,
        scrapeIntervalSeconds: opts.scrapeIntervalSeconds ?? 2,
        ruleFiles: opts.ruleFiles ?? [],
      });
      writeFileSync(configFile, stringify(config));
      return {
        command: prometheusBin(),
        args: [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          '--storage.tsdb.retention.time=1d',
          `--web.listen-address=${address}`,
          // Alerts' generatorURL points here rather than at the machine's hostname.
          `--web.external-url=http://${address}/`,
          '--web.enable-remote-write-receiver',
          '--web.enable-lifecycle',
        ],
        cwd: dir,
      };
    },
  });
}

/**
 * Asks Prometheus to re-read its config and rule files (POST /-/reload, needs --web.enable-lifecycle).
 * Prometheus answers 500 with the reason when the new config or rules are invalid and keeps the old ones.
 */
export async function reloadPrometheus(url: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/+$/, '')}/-/reload`, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new RipcordError('unreachable', `could not reach Prometheus at ${url} to reload it`, {
      cause: err,
    });
  }
  const body = await res.text();
  if (!res.ok) {
    throw new RipcordError('invalid', `Prometheus rejected the reload (HTTP ${res.status}): ${body.trim()}`);
  }
}
