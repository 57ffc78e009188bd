/**
 * Which route a request takes, the way the two APIs define it. Pure.
 *
 * Istio (networking.istio.io/v1 VirtualService, "HTTPMatchRequest"): the http routes are tried in order and the
 * first whose `match` list has one entry that holds wins; a route without `match` takes every request. Within
 * one entry every condition must hold: `uri`, `method`, `headers` (StringMatch: exact, prefix or regex; a
 * regex must match the whole value, as RE2 full-match does in Envoy), and `withoutHeaders` (the header is
 * absent, or does not match). `uri` is matched against the request's path as sent (Envoy's `:path`).
 *
 * Gateway API (HTTPRoute, "HTTPRouteMatch"): a rule without matches has one, PathPrefix "/". Among every
 * match of every rule the most specific wins: an Exact path first, then the longest PathPrefix, then a match
 * with a method, then the most header matches; a tie goes to the earlier rule. Paths are matched without the
 * query string, a PathPrefix by whole segments ("/v1" matches "/v1/x" but not "/v10").
 */
import type { GatewayMatch, HTTPMatchRequest, StringMatch } from './resource-schemas.js';

export interface RequestInfo {
  method: string;
  /** The request target as sent: path and query. */
  path: string;
  /** Node's incoming headers: names in lower case. */
  headers: Record<string, string | string[] | undefined>;
}

function headerValue(req: RequestInfo, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    // An invalid regex is rejected by Istio's validation; here it simply never matches.
    return false;
  }
}

/** Istio's StringMatch; an empty one (no field set) matches any value, as Envoy's present match does. */
export function stringMatches(m: StringMatch, value: string): boolean {
  if (m.exact != null) return value === m.exact;
  if (m.prefix != null) return value.startsWith(m.prefix);
  if (m.regex != null) return fullMatch(m.regex, value);
  return true;
}

function istioEntryHolds(m: HTTPMatchRequest, req: RequestInfo): boolean {
  if (m.uri && !stringMatches(m.uri, req.path)) return false;
  if (m.method && !stringMatches(m.method, req.method)) return false;
  for (const [name, want] of Object.entries(m.headers ?? {})) {
    const v = headerValue(req, name);
    if (v === undefined || !stringMatches(want, v)) return false;
  }
  for (const [name, unwanted] of Object.entries(m.withoutHeaders ?? {})) {
    const v = headerValue(req, name);
    if (v !== undefined && stringMatches(unwanted, v)) return false;
  }
  return true;
}

/** Whether an Istio http route takes this request: no `match` takes all, else any one entry that holds. */
export function istioRouteTakes(
  match: readonly HTTPMatchRequest[] | null | undefined,
  req: RequestInfo,
): boolean {
  if (!match || match.length === 0) return true;
  return match.some((m) => istioEntryHolds(m, req));
}

const pathOnly = (target: string): string => target.split('?')[0] ?? '/';

function prefixHolds(prefix: string, path: string): boolean {
  const p = prefix === '/' ? '/' : prefix.replace(/\/+$/, '');
  if (p === '/') return true;
  return path === p || path.startsWith(`${p}/`);
}

/** The match a Gateway API rule without matches has. */
export const DEFAULT_GATEWAY_MATCH: GatewayMatch = { path: { type: 'PathPrefix', value: '/' } };

/** Whether one HTTPRouteMatch holds for this request. */
export function gatewayMatchHolds(m: GatewayMatch, req: RequestInfo): boolean {
  const path = pathOnly(req.path);
  const type = m.path?.type ?? 'PathPrefix';
  const value = m.path?.value ?? '/';
  if (type === 'Exact' && path !== value) return false;
  if (type === 'PathPrefix' && !prefixHolds(value, path)) return false;
  if (type === 'RegularExpression' && !fullMatch(value, path)) return false;
  if (m.method && m.method.toUpperCase() !== req.method.toUpperCase()) return false;
  for (const h of m.headers ?? []) {
    const v = headerValue(req, h.name);
    if (v === undefined) return false;
    if ((h.type ?? 'Exact') === 'RegularExpression' ? !fullMatch(h.value, v) : v !== h.value) return false;
  }
  return true;
}

/** Sorts Gateway API matches most specific first; `order` (the rule's index) breaks ties. */
export function byGatewayPrecedence<T extends { match: GatewayMatch; order: number }>(items: T[]): T[] {
  const rank = (m: GatewayMatch): number[] => {
    const type = m.path?.type ?? 'PathPrefix';
    const value = m.path?.value ?? '/';
    return [
      type === 'Exact' ? 1 : 0,
      type === 'PathPrefix' ? value.length : 0,
      m.method ? 1 : 0,
      m.headers?.length ?? 0,
    ];
  };
  return [...items].sort((a, b) => {
    const ra = rank(a.match);
    const rb = rank(b.match);
    for (let i = 0; i < ra.length; i++) {
      const d = (rb[i] ?? 0) - (ra[i] ?? 0);
      if (d !== 0) return d;
    }
    return a.order - b.order;
  });
}
