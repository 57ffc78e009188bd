/** Label and weight maps as people read them (`app=venue-service,version=blue`), and their equality. */

/** `k=v` pairs joined by `sep`; `<none>` for an empty map, so an empty selector is never an empty string. */
export function labelText(m: Readonly<Record<string, string | number>>, sep = ','): string {
  return (
    Object.entries(m)
      .map(([k, v]) => `${k}=${v}`)
      .join(sep) || '<none>'
  );
}

/** Same keys, same values, in any order. */
export function sameMap<V>(a: Readonly<Record<string, V>>, b: Readonly<Record<string, V>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b && a[k] === b[k]);
}
