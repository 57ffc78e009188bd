import { describe, expect, it } from 'vitest';
import { hostRefersTo } from '../../src/sandbox/router/host-match.js';

describe('hostRefersTo', () => {
  it.each([
    ['venue-service', true],
    ['venue-service.tickettoken', true],
    ['venue-service.tickettoken.svc', true],
    ['venue-service.tickettoken.svc.cluster.local', true],
    ['Venue-Service.TicketToken.svc.cluster.local.', true],
    ['venue-service.other.svc.cluster.local', false],
    ['venue-service-canary', false],
    ['venue', false],
    ['*', false],
  ])('%s -> %s', (host, want) => expect(hostRefersTo(host, 'venue-service', 'tickettoken')).toBe(want));
});
