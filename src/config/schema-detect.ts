/**
 * `detect` (in `defaults` or per service): where the metrics are, how long a release bakes, how the runbook's
 * triggers are judged, what to do on a verdict, and the guards on automatic rollbacks.
 */
import * as z from 'zod';
import { DEFAULT_H1_FACTOR, DEFAULT_MISS_CHANCE } from '../core/judge/error-rate-sprt.js';
import { PROFILE_NAMES, RELEASE_BY } from '../core/metrics-settings.js';
import { customQueryProblems } from './metric-queries.js';
import { Duration, PositiveDuration } from './schema-duration.js';

/** A Prometheus label name (the data model's [a-zA-Z_][a-zA-Z0-9_]*). */
const LabelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, {
  error: (iss) =>
    `expected a Prometheus label name like namespace or exported_namespace, got ${JSON.stringify(iss.input)}`,
});

const Query = z.string().min(1);

const CustomQueriesSchema = z
  .strictObject({
    errors: Query.optional().meta({
      description: '5xx count over {{window}}, e.g. sum(increase(...[{{window}}]))',
    }),
    requests: Query.optional().meta({ description: 'Request count over {{window}}' }),
    p50: Query.optional().meta({ description: 'P50 latency in seconds over {{window}}' }),
    samples: Query.optional().meta({ description: 'How many requests the P50 is based on, over {{window}}' }),
    memory: Query.optional().meta({ description: 'Memory in bytes, one series per pod, labelled pod' }),
  })
  .superRefine((q, ctx) => {
    for (const p of customQueryProblems(q))
      ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
  });

export const MetricsSettingsSchema = z.strictObject({
  queries: CustomQueriesSchema.optional().meta({
    description:
      'Your own PromQL, each replacing the profile’s: placeholders {{namespace}}, {{service}}, {{pods}}, {{window}} (docs/detection.md)',
  }),
  profile: z
    .enum(PROFILE_NAMES, {
      error: (iss) =>
        `unknown metric profile ${JSON.stringify(iss.input)}; expected one of ${PROFILE_NAMES.join(', ')}`,
    })
    .optional()
    .meta({
      default: 'prom-client',
      description:
        'Whose metrics the verdicts read: prom-client (the default), istio, linkerd, nginx-ingress, micrometer, otel (docs/detection.md)',
    }),
  labels: z
    .strictObject({
      namespace: LabelName.optional(),
      workload: LabelName.optional(),
      pod: LabelName.optional(),
      release: LabelName.optional(),
    })
    .optional()
    .meta({
      description:
        'Label names your relabelling gave the profile’s series (e.g. namespace: exported_namespace); the rest stay the profile’s',
    }),
  releaseBy: z.enum(RELEASE_BY).optional().meta({
    default: 'label',
    description:
      'How a release’s series are found: label (pod_template_hash on every series), pod-name (DEPLOYMENT-HASH-xxxxx), kube-state-metrics (joined with kube_pod_labels)',
  }),
});

const Policy = z.enum(['auto', 'ask', 'off']).meta({
  description:
    'auto: run the rollback plan; ask: plan it and wait for `ripcord approve RUN`; off: only report',
});

export const SmokeCheck = z.strictObject({
  name: z.string().min(1),
  url: z
    .url({ protocol: /^https?$/ })
    .meta({ description: 'Full URL, e.g. ${VENUE_SERVICE_URL}/api/venues' }),
  method: z.enum(['GET', 'HEAD', 'POST']).optional().meta({ default: 'GET' }),
  expectStatus: z.int().min(100).max(599).optional().meta({ default: 200 }),
  expectBody: z.string().optional().meta({ description: 'Substring the body must contain' }),
});
export type SmokeCheck = z.infer<typeof SmokeCheck>;

export const DetectSettings = z.strictObject({
  prometheusUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({ description: 'e.g. ${PROMETHEUS_URL}' }),
  alertmanagerUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({ description: 'e.g. ${ALERTMANAGER_URL}' }),
  app: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'The `app` label of the pods in Prometheus (default: the Deployment name)' }),
  bake: PositiveDuration.optional().meta({ description: 'How long a new release is judged', default: '2m' }),
  maxBake: PositiveDuration.optional().meta({
    description: 'Longest judging when the error-rate test is undecided',
    default: '5m',
  }),
  interval: PositiveDuration.optional().meta({ description: 'Evaluation interval', default: '10s' }),
  baselineWindow: PositiveDuration.optional().meta({
    description: 'Window before the rollout used as the baseline',
    default: '5m',
  }),
  policy: z
    .strictObject({
      app: Policy.optional().meta({ default: 'auto' }),
      database: Policy.optional().meta({ default: 'ask' }),
      approvalMaxAge: PositiveDuration.optional().meta({
        description:
          'A held rollback older than this is refused by `ripcord approve` (the verdict is stale): watch again',
        default: '15m',
      }),
    })
    .optional(),
  failures: z
    .strictObject({
      unhealthyAfter: z.int().positive().optional().meta({
        description:
          'Consecutive intervals without data (Prometheus or Kubernetes failing) before /healthz is 503',
        default: 3,
      }),
      maxBackoff: PositiveDuration.optional().meta({
        description: 'Longest wait between retries of a failing interval (doubling from `interval`)',
        default: '1m',
      }),
      queryTimeout: PositiveDuration.optional().meta({
        description: 'Timeout of each Prometheus query attempt',
        default: '10s',
      }),
    })
    .optional()
    .meta({ description: 'What the watch does when its data or API calls fail' }),
  errorRate: z
    .strictObject({
      threshold: z
        .number()
        .gt(0)
        .lt(1)
        .optional()
        .meta({ description: "The runbook's 5xx share", default: 0.01 }),
      minRequests: z.int().positive().optional().meta({ default: 100 }),
      alpha: z
        .number()
        .gt(0)
        .lt(0.5)
        .optional()
        .meta({ description: 'Accepted false-alarm chance', default: 0.01 }),
      beta: z.number().gt(0).lt(0.5).optional().meta({
        description: 'Accepted chance of passing a release at 1.6× the threshold (H1)',
        default: DEFAULT_MISS_CHANCE,
      }),
      h1: z.number().gt(1).lt(10).optional().meta({
        description:
          'H1 as a multiple of H0: the 5xx share the test is tuned to fail fastest. 1.6 fails a release at twice the threshold soonest; 2 calls a healthy release healthy sooner',
        default: DEFAULT_H1_FACTOR,
      }),
    })
    .optional(),
  latency: z
    .strictObject({
      ratio: z
        .number()
        .gt(1)
        .optional()
        .meta({ description: 'P50 against baseline: 1.5 = +50%', default: 1.5 }),
      consecutive: z.int().positive().optional().meta({ default: 3 }),
      minSamples: z.int().positive().optional().meta({ default: 50 }),
    })
    .optional(),
  memory: z
    .strictObject({
      limitBytes: z.int().positive().optional(),
      minWindow: Duration.optional().meta({ default: '5m' }),
      minGrowthFraction: z.number().gt(0).optional().meta({ default: 0.05 }),
      warmup: Duration.optional().meta({
        description: 'Start of each pod ignored (a fresh process grows while warming up)',
        default: '30s',
      }),
    })
    .optional(),
  metrics: MetricsSettingsSchema.optional().meta({
    description: 'Which series the triggers and the recovery check read (default: the prom-client profile)',
  }),
  checks: z.array(SmokeCheck).optional().meta({ description: 'Smoke checks run every interval' }),
  guards: z
    .strictObject({
      maxPerDay: z.int().positive().optional().meta({ default: 3 }),
      cooldown: Duration.optional().meta({ default: '10m' }),
    })
    .optional(),
});
export type DetectSettings = z.infer<typeof DetectSettings>;
