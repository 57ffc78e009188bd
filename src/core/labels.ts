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

/** Whether an equality selector (a Service's, a DestinationRule subset's) picks a pod with these labels. */
export function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
