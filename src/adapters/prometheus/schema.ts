/**
 * Zod schemas for the Prometheus HTTP API as documented (https://prometheus.io/docs/prometheus/latest/querying/api/):
 * the envelope `{status, data | errorType+error, warnings?, infos?}` of /api/v1/query and /api/v1/query_range,
 * and the four result types. Sample values arrive as strings so that NaN and ±Inf survive JSON.
 */
import { z } from 'zod';

/** Prometheus' float text: Go's strconv formatting, including NaN, +Inf and -Inf, which Number() misreads. */
export function parseSampleValue(text: string): number {
  switch (text) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
  }
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) throw new Error(`not a sample value: ${JSON.stringify(text)}`);
  return n;
}

const SampleValue = z.string().transform((s, ctx) => {
  try {
    return parseSampleValue(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: String(err) });
    return z.NEVER;
  }
});

/** [unix seconds, "value"]. */
const SamplePair = z.tuple([z.number(), SampleValue]);
const Labels = z.record(z.string(), z.string());

const VectorData = z.object({
  resultType: z.literal('vector'),
  // Native-histogram samples carry `histogram` instead of `value`; none of our queries return them.
  result: z.array(
    z.object({ metric: Labels, value: SamplePair.optional(), histogram: z.unknown().optional() }),
  ),
});
const MatrixData = z.object({
  resultType: z.literal('matrix'),
  result: z.array(
    z.object({ metric: Labels, values: z.array(SamplePair).optional(), histograms: z.unknown().optional() }),
  ),
});
const ScalarData = z.object({ resultType: z.literal('scalar'), result: SamplePair });
const StringData = z.object({ resultType: z.literal('string'), result: z.tuple([z.number(), z.string()]) });

export const QueryData = z.discriminatedUnion('resultType', [VectorData, MatrixData, ScalarData, StringData]);
export type QueryData = z.infer<typeof QueryData>;

export const QueryResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: QueryData,
    warnings: z.array(z.string()).optional(),
    infos: z.array(z.string()).optional(),
  }),
  z.object({
    status: z.literal('error'),
    errorType: z.string(),
    error: z.string(),
    warnings: z.array(z.string()).optional(),
  }),
]);
export type QueryResponse = z.infer<typeof QueryResponse>;
