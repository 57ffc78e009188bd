import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { SCENARIO_SECTIONS, SECTION_SCENARIO } from '../../src/config/sections.js';
import { RipcordError } from '../../src/core/errors.js';
import { addScenarioOptions, parseScenarioOptions } from '../../src/scenarios/options.js';
import { parseConfig } from '../../src/config/load.js';
import { getService } from '../../src/config/services.js';
import { liveTrafficSection } from '../../src/scenarios/live-traffic.js';
import { scenarioNamed, SCENARIOS, watchScenarioFor } from '../../src/scenarios/registry.js';

describe('the scenario registry', () => {
  it('lists the runbook rows in quick-reference order, each with a docs page that exists', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual([
      'app',
      'database',
      'config',
      'secret',
      'flag',
      'blue-green',
      'canary',
      'argocd',
    ]);
    for (const s of SCENARIOS) expect(existsSync(s.docs.split('#')[0] as string), s.docs).toBe(true);
  });

  it('each config section is owned by exactly the scenario config check names for it', () => {
    const owned = SCENARIOS.filter((s) => s.configSection).map((s) => [s.configSection, s.name]);
    expect(Object.fromEntries(owned)).toEqual(SECTION_SCENARIO);
    expect(owned.map(([k]) => k).sort()).toEqual([...SCENARIO_SECTIONS].sort());
  });

  it('loads a module only when asked, and the module is the one named', async () => {
    for (const s of SCENARIOS) expect((await s.load()).name).toBe(s.name);
  });

  it('derives the options of plan and rollback: each flag once, shared ones naming both scenarios', () => {
    const cmd = addScenarioOptions(new Command('plan'), SCENARIOS);
    const flags = cmd.options.map((o) => o.flags);
    expect(flags).toEqual([
      '--scenario <name>',
      '--to-revision <n>',
      '--with-config',
      '--all',
      '--to <migration>',
      '--freeze',
      '--force-unlock',
      '--to-version <n>',
      '--flag <name>',
      '--keep',
      '--scale-stable',
      '--to-history <id>',
      '--revision <sha>',
      '--git-revert',
    ]);
    expect(cmd.options.find((o) => o.flags === '--revision <sha>')?.description).toBe(
      'argocd: sync to this deployed revision (argocd app sync --revision)',
    );
    expect(cmd.options.find((o) => o.flags === '--to-version <n>')?.description).toBe(
      'config/secret: the version to restore',
    );
  });

  it("refuses another scenario's flag by name and parses its own with their parsers", () => {
    const app = scenarioNamed('app');
    expect(() => parseScenarioOptions(app, SCENARIOS, { flag: 'x' })).toThrow(
      new RipcordError('invalid', '--flag: does not apply to --scenario app'),
    );
    expect(() => parseScenarioOptions(app, SCENARIOS, { toRevision: 'two' })).toThrow(/--to-revision/);
    expect(parseScenarioOptions(app, SCENARIOS, { toRevision: '3', withConfig: true })).toEqual({
      toRevision: 3,
      withConfig: true,
    });
    expect(parseScenarioOptions(scenarioNamed('secret'), SCENARIOS, { toVersion: 'v2' })).toEqual({
      toVersion: 2,
    });
    expect(() => scenarioNamed('bluegreen')).toThrow(/--scenario: unknown scenario "bluegreen"/);
  });

  it('the watch plans the traffic strategy live for the service, else the app rollback', async () => {
    const service = (extra: string[]) =>
      getService(
        parseConfig(
          [
            'version: 1',
            'services:',
            '  venue-service:',
            '    kube: { namespace: tickettoken }',
            '    healthUrl: http://127.0.0.1:8080/health',
            ...extra,
            '',
          ].join('\n'),
          'ripcord.yaml',
          { cwd: '/project', env: {}, flags: {} },
        ),
        'venue-service',
      );
    const canary = [
      '    canary:',
      '      router: { kind: VirtualService, name: venue-service }',
      '      stable: stable',
      '      canary: canary',
      '      canaryDeployment: venue-service-canary',
    ];
    const blueGreen = [
      '    blueGreen:',
      '      service: venue-service',
      '      colours: { blue: venue-service-blue, green: venue-service-green }',
    ];
    // A cluster holding these Deployments, this selector on the Service and these VirtualServices.
    const cluster = (deployments: string[], selector: Record<string, string>, routes: string[]) => {
      const reads: string[] = [];
      const missing = (what: string) => new RipcordError('invalid', `${what} not found`);
      const ctx = {
        kube: {
          snapshot: async (_ns: string, name: string) => {
            reads.push(`deployment/${name}`);
            if (!deployments.includes(name)) throw missing(name);
            return {};
          },
        },
        ports: {
          services: {
            read: async (_ns: string, name: string) => (reads.push(`service/${name}`), { selector }),
          },
          traffic: (kind: string) => ({
            list: async () => (reads.push(kind), routes.map((name) => ({ name }))),
          }),
        },
      };
      return { ctx, reads };
    };
    const live = async (extra: string[], c: ReturnType<typeof cluster>) =>
      liveTrafficSection({ service: service(extra), ...c.ctx } as never);

    // One traffic section (or none): the file decides, nothing is read.
    const none = cluster([], {}, []);
    expect(await live([], none)).toBeUndefined();
    expect(await live(canary, none)).toBe('canary');
    expect(await live(blueGreen, none)).toBe('blueGreen');
    expect(none.reads).toEqual([]);

    // Both (the example's ripcord.yaml): the topology the cluster runs.
    const both = [...blueGreen, ...canary];
    const rolling = cluster(['venue-service'], { app: 'venue-service' }, []);
    expect(await live(both, rolling)).toBeUndefined();
    const colours = cluster(['venue-service-green'], { app: 'venue-service', version: 'green' }, []);
    expect(await live(both, colours)).toBe('blueGreen');
    const split = cluster(['venue-service', 'venue-service-canary'], { app: 'venue-service' }, [
      'venue-service',
    ]);
    expect(await live(both, split)).toBe('canary');
    expect(split.reads).toEqual([
      'service/venue-service',
      'VirtualService',
      'deployment/venue-service-canary',
    ]);
    // A route left behind without its canary Deployment is not a canary; a colour selected but deleted is not live.
    expect(await live(both, cluster(['venue-service'], {}, ['venue-service']))).toBeUndefined();
    expect(await live(both, cluster([], { version: 'green' }, []))).toBeUndefined();
    // Anything but not-found (the API down) is the caller's error, not a guess.
    const down = cluster([], {}, []);
    down.ctx.ports.services.read = async () => {
      throw new RipcordError('unreachable', 'connect ECONNREFUSED');
    };
    await expect(live(both, down)).rejects.toThrow(/ECONNREFUSED/);

    expect(watchScenarioFor(undefined).name).toBe('app');
    expect(watchScenarioFor('canary').name).toBe('canary');
    expect(watchScenarioFor('blueGreen').name).toBe('blue-green');
    // Only the strategies with a watch are candidates: a flag or database section changes nothing.
    expect(SCENARIOS.filter((s) => s.watch).map((s) => s.name)).toEqual(['app', 'blue-green', 'canary']);
  });
});
