/**
 * Writes series into a real Prometheus through its remote-write receiver (`--web.enable-remote-write-receiver`),
 * so a test has minutes of history in a second instead of waiting for scrapes. Follows the Remote-Write 1.0
 * specification (prometheus.io/docs/specs/prw/remote_write_spec): a `prometheus.WriteRequest` protobuf
 * (prompb/remote.proto, types.proto: TimeSeries{labels=1, samples=2}, Label{name=1, value=2},
 * Sample{value=1 double, timestamp=2 int64 ms}), labels sorted by name with `__name__` among them, samples in
 * time order, the body compressed with Snappy's block format (google/snappy format_description.txt; written
 * as literals only, which every decoder accepts), headers Content-Encoding: snappy, Content-Type:
 * application/x-protobuf, X-Prometheus-Remote-Write-Version: 0.1.0.
 */

export interface Series {
  labels: Record<string, string>;
  samples: Array<{ t: number; v: number }>;
}

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** A length-delimited field (wire type 2). */
function bytesField(field: number, body: Uint8Array | number[]): number[] {
  return [...varint((field << 3) | 2), ...varint(body.length), ...body];
}

function label(name: string, value: string): number[] {
  return [
    ...bytesField(1, [...Buffer.from(name, 'utf8')]),
    ...bytesField(2, [...Buffer.from(value, 'utf8')]),
  ];
}

function sample(v: number, t: number): number[] {
  const d = Buffer.alloc(8);
  d.writeDoubleLE(v);
  return [...varint((1 << 3) | 1), ...d, ...varint((2 << 3) | 0), ...varint(Math.round(t))];
}

export function encodeWriteRequest(series: readonly Series[]): Uint8Array {
  const out: number[] = [];
  for (const s of series) {
    const ts: number[] = [];
    for (const [k, v] of Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      ts.push(...bytesField(1, label(k, v)));
    }
    for (const p of s.samples) ts.push(...bytesField(2, sample(p.v, p.t)));
    out.push(...bytesField(1, ts));
  }
  return Uint8Array.from(out);
}

/** Snappy block format with literal elements only: the uncompressed length, then 64 KiB literals. */
export function snappyLiterals(data: Uint8Array): Uint8Array {
  const out: number[] = [...varint(data.length)];
  for (let i = 0; i < data.length; i += 65_536) {
    const chunk = data.subarray(i, Math.min(data.length, i + 65_536));
    const n = chunk.length - 1;
    if (n < 60) out.push(n << 2);
    else if (n < 256) out.push(60 << 2, n);
    else out.push(61 << 2, n & 0xff, n >> 8);
    out.push(...chunk);
  }
  return Uint8Array.from(out);
}

/** POSTs the series to `prometheusUrl`/api/v1/write; fails with Prometheus' answer otherwise. */
export async function remoteWrite(prometheusUrl: string, series: readonly Series[]): Promise<void> {
  // A few thousand samples a request keeps each body small.
  for (let i = 0; i < series.length; i += 50) {
    const res = await fetch(`${prometheusUrl.replace(/\/+$/, '')}/api/v1/write`, {
      method: 'POST',
      headers: {
        'Content-Encoding': 'snappy',
        'Content-Type': 'application/x-protobuf',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
      },
      body: snappyLiterals(encodeWriteRequest(series.slice(i, i + 50))),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status >= 300) throw new Error(`remote write: HTTP ${res.status}: ${await res.text()}`);
  }
}
