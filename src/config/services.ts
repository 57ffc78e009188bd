import { RipcordError } from '../core/errors.js';
import type { Scenario } from '../core/plan.js';
import type { CompiledService, RipcordConfig } from './compile.js';

/** The service names in file order. */
export function listServices(config: RipcordConfig): string[] {
  return Object.keys(config.services);
}

/**
 * The named service. With no name, the only service when the file has exactly one (so single-service repos
 * need not repeat it on every command); otherwise an error listing the choices.
 */
export function getService(config: RipcordConfig, name?: string): CompiledService {
  const names = listServices(config);
  if (name === undefined) {
    const only = names.length === 1 ? config.services[names[0] as string] : undefined;
    if (only) return only;
    throw new RipcordError('invalid', `${config.file}: name a service; this file has ${names.join(', ')}`);
  }
  const service = Object.hasOwn(config.services, name) ? config.services[name] : undefined;
  if (!service) {
    throw new RipcordError(
      'invalid',
      `${config.file}: unknown service "${name}"; known services: ${names.join(', ')}`,
    );
  }
  return service;
}

/**
 * The RTO target for a scenario. The runbook's table has four rows; the other scenarios are variants of one:
 * a Vault secret is a configuration rollback, and blue-green, canary and Argo CD rollbacks are app rollbacks.
 */
export function rtoTargetMs(service: CompiledService, scenario: Scenario): number {
  switch (scenario) {
    case 'database':
      return service.rtoMs.database;
    case 'config':
    case 'secret':
      return service.rtoMs.config;
    case 'flag':
      return service.rtoMs.flag;
    case 'app':
    case 'blue-green':
    case 'canary':
    case 'argocd':
      return service.rtoMs.app;
  }
}
