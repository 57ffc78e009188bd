import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';

describe('shipped config files', () => {
  it('ripcord.schema.json is the current schema (regenerate: npx ripcord config schema > ripcord.schema.json)', () => {
    const committed = JSON.parse(readFileSync(join(repoRoot(), 'ripcord.schema.json'), 'utf8')) as unknown;
    expect(committed).toEqual(configJsonSchema());
  });

  it("the example service's ripcord.yaml is valid", () => {
    const file = join(repoRoot(), 'examples', 'venue-service', 'ripcord.yaml');
    const cfg = parseConfig(readFileSync(file, 'utf8'), file, {
      env: { VENUE_SERVICE_URL: 'http://127.0.0.1:8080', DATABASE_URL: 'postgres://venue@127.0.0.1/venues' },
    });
    const svc = cfg.services['venue-service'];
    expect(svc?.kube.namespace).toBe('tickettoken');
    expect(svc?.healthUrl).toBe('http://127.0.0.1:8080/api/venues/health');
    expect(svc?.rtoMs).toEqual({ app: 300_000, config: 300_000, flag: 60_000, database: 1_800_000 });
  });
});
