/**
 * A port of apimachinery's `equality.Semantic.DeepEqual` for objects as they arrive from the API server (JSON,
 * or client-node's typed copies of it). Go compares typed structs; we compare JSON, so the type knowledge Go
 * has is restored where it changes the answer:
 *
 * - nil and empty slices are equal (every JSON array is a Go slice);
 * - nil and empty maps are equal, for the fields that are Go maps (labels, annotations, nodeSelector, ...),
 *   while an absent pointer-to-struct is not equal to `{}` (e.g. `securityContext`);
 * - `resource.Quantity` values compare by value (`500m` == `0.5`), `metav1.Time` by instant.
 *
 * Absent and `null` are the same thing in JSON. A missing field and its explicit zero value (`""`, `0`,
 * `false`) are not: the server omits zero values consistently, so two server objects never differ that way.
 */
import { quantitiesEqual } from './quantity.js';

/** Fields of PodTemplateSpec (and the selectors around it) whose Go type is a map. */
const MAP_FIELDS = new Set([
  'labels',
  'annotations',
  'nodeSelector',
  'matchLabels',
  'limits',
  'requests',
  'overhead',
  'volumeAttributes',
  'options',
  'parameters',
]);

/** Map fields whose values are resource.Quantity. */
const QUANTITY_MAP_FIELDS = new Set(['limits', 'requests', 'overhead']);

/** Scalar fields of type resource.Quantity. */
const QUANTITY_FIELDS = new Set(['sizeLimit', 'divisor']);

type Kind = 'any' | 'map' | 'quantity-map' | 'quantity';

function kindOf(key: string | undefined): Kind {
  if (key === undefined) return 'any';
  if (QUANTITY_MAP_FIELDS.has(key)) return 'quantity-map';
  if (MAP_FIELDS.has(key)) return 'map';
  if (QUANTITY_FIELDS.has(key)) return 'quantity';
  return 'any';
}

function absent(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function emptyish(v: unknown): boolean {
  if (absent(v)) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainObject(v)) return Object.values(v).every((x) => x === undefined);
  return false;
}

function instant(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** Semantic deep equality of two API values (see the file comment for what "semantic" covers). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return equalAs(a, b, 'any');
}

function equalAs(a: unknown, b: unknown, kind: Kind): boolean {
  if (kind === 'quantity') {
    if (absent(a) || absent(b)) return absent(a) && absent(b);
    return quantitiesEqual(String(a), String(b));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (emptyish(a) && emptyish(b)) return true;
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => equalAs(x, b[i], 'any'));
  }
  if (kind === 'map' || kind === 'quantity-map') {
    if (emptyish(a) && emptyish(b)) return true;
    if (!isPlainObject(a) || !isPlainObject(b)) return false;
    const ka = definedKeys(a);
    const kb = definedKeys(b);
    if (ka.length !== kb.length) return false;
    const valueKind: Kind = kind === 'quantity-map' ? 'quantity' : 'any';
    return ka.every((k) => k in b && b[k] !== undefined && equalAs(a[k], b[k], valueKind));
  }
  if (absent(a) || absent(b)) return absent(a) && absent(b);
  if (a instanceof Date || b instanceof Date) {
    const x = instant(a);
    return x !== undefined && x === instant(b);
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      if (!equalAs(a[k], b[k], kindOf(k))) return false;
    }
    return true;
  }
  return a === b;
}

function definedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).filter((k) => o[k] !== undefined);
}
