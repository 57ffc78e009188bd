/**
 * Kubernetes resource quantities compared by value, as apimachinery's Semantic.DeepEqual does
 * (`resource.Quantity.Cmp`): `500m` equals `0.5`, `1Gi` equals `1073741824`.
 */

/** An exact rational value: numerator / denominator, denominator > 0. */
interface Rational {
  num: bigint;
  den: bigint;
}

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// <signedNumber><suffix>, suffix being binary SI, decimal SI or a decimal exponent (resource.ParseQuantity).
const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** The exact value of a quantity string, or undefined when it is not one. */
export function parseQuantity(text: string): Rational | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [, sign = '', whole = '', frac = '', suffix = ''] = m;
  if (whole === '' && frac === '') return undefined;
  let num = BigInt(`${whole}${frac}` || '0');
  let den = 10n ** BigInt(frac.length);
  if (sign === '-') num = -num;
  let exp10 = 0;
  if (suffix in BINARY) num *= BINARY[suffix] ?? 1n;
  else if (suffix.startsWith('e') || suffix.startsWith('E')) exp10 = Number(suffix.slice(1));
  else exp10 = DECIMAL[suffix] ?? 0;
  if (exp10 >= 0) num *= 10n ** BigInt(exp10);
  else den *= 10n ** BigInt(-exp10);
  return { num, den };
}

/** True when both strings are quantities of the same value; falls back to string equality otherwise. */
export function quantitiesEqual(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (!x || !y) return false;
  return x.num * y.den === y.num * x.den;
}
