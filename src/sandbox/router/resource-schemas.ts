import { z } from 'zod';

/*
 * The router's outside edge: only the fields it routes on, validated. Lists come from the typed client
 * (timestamps already turned into Date) and watch events are raw JSON (timestamps as strings), so timestamps
 * are accepted in either form and only their presence or order is used.
 */

const Timestamp = z.union([z.string(), z.date()]);
const Labels = z.record(z.string(), z.string());
/** Kubernetes IntOrString: a number is a port number, a string is a port name (or a number written as text). */
const IntOrString = z.union([z.number().int(), z.string()]);

const Meta = z.object({
  name: z.string(),
  namespace: z.string(),
  labels: Labels.nullish(),
  creationTimestamp: Timestamp.nullish(),
  deletionTimestamp: Timestamp.nullish(),
});

export const ServicePort = z.object({
  name: z.string().nullish(),
  protocol: z.string().nullish(),
  port: z.number().int(),
  targetPort: IntOrString.nullish(),
});
export type ServicePort = z.infer<typeof ServicePort>;

export const ServiceObject = z.object({
  metadata: Meta,
  spec: z.object({
    type: z.string().nullish(),
    selector: Labels.nullish(),
    publishNotReadyAddresses: z.boolean().nullish(),
    ports: z.array(ServicePort).nullish(),
  }),
});
export type ServiceObject = z.infer<typeof ServiceObject>;

const ContainerPort = z.object({
  name: z.string().nullish(),
  containerPort: z.number().int(),
  protocol: z.string().nullish(),
});

export const PodObject = z.object({
  metadata: Meta,
  spec: z
    .object({
      containers: z.array(z.object({ name: z.string(), ports: z.array(ContainerPort).nullish() })).nullish(),
    })
    .nullish(),
  status: z
    .object({
      phase: z.string().nullish(),
      podIP: z.string().nullish(),
      conditions: z.array(z.object({ type: z.string(), status: z.string() })).nullish(),
    })
    .nullish(),
});
export type PodObject = z.infer<typeof PodObject>;

const IstioDestination = z.object({
  host: z.string(),
  subset: z.string().nullish(),
  port: z.object({ number: z.number().int().nullish() }).nullish(),
});
export type IstioDestination = z.infer<typeof IstioDestination>;

const RouteDestination = z.object({ destination: IstioDestination, weight: z.number().nullish() });
export type RouteDestination = z.infer<typeof RouteDestination>;

/** Istio's StringMatch: one of exact, prefix, regex (RE2; JavaScript's RegExp is close enough here). */
const StringMatch = z.object({
  exact: z.string().nullish(),
  prefix: z.string().nullish(),
  regex: z.string().nullish(),
});
export type StringMatch = z.infer<typeof StringMatch>;

/** Istio HTTPMatchRequest: every condition given must hold (header names are lower-case in Istio). */
const HTTPMatchRequest = z.object({
  uri: StringMatch.nullish(),
  method: StringMatch.nullish(),
  headers: z.record(z.string(), StringMatch).nullish(),
  withoutHeaders: z.record(z.string(), StringMatch).nullish(),
});
export type HTTPMatchRequest = z.infer<typeof HTTPMatchRequest>;

const Percent = z.object({ value: z.number() });

/** One http route: its matches (any one), weighted destinations, and mirrors (copies, answers discarded). */
const HTTPRouteRule = z.object({
  name: z.string().nullish(),
  match: z.array(HTTPMatchRequest).nullish(),
  route: z.array(RouteDestination).nullish(),
  mirror: IstioDestination.nullish(),
  mirrorPercentage: Percent.nullish(),
  mirrors: z.array(z.object({ destination: IstioDestination, percentage: Percent.nullish() })).nullish(),
});
export type IstioHttpRoute = z.infer<typeof HTTPRouteRule>;

/** networking.istio.io VirtualService (v1alpha3 and v1beta1 share this shape). */
export const VirtualService = z.object({
  metadata: Meta,
  spec: z.object({
    hosts: z.array(z.string()).nullish(),
    /** Absent: the mesh only. A list without "mesh" binds only gateways, which the sandbox router is not. */
    gateways: z.array(z.string()).nullish(),
    http: z.array(HTTPRouteRule).nullish(),
  }),
});
export type VirtualService = z.infer<typeof VirtualService>;

/** networking.istio.io DestinationRule: only the host and the subsets' labels matter to the router. */
export const DestinationRule = z.object({
  metadata: Meta,
  spec: z.object({
    host: z.string(),
    subsets: z.array(z.object({ name: z.string(), labels: Labels.nullish() })).nullish(),
  }),
});
export type DestinationRule = z.infer<typeof DestinationRule>;

/** One Gateway API parentRef; the router binds only refs to a core Service (GAMMA, see traffic-plan.ts). */
const ParentRef = z.object({
  group: z.string().nullish(),
  kind: z.string().nullish(),
  namespace: z.string().nullish(),
  name: z.string(),
  port: z.number().int().nullish(),
  sectionName: z.string().nullish(),
});

/** One backendRef of an HTTPRoute rule: absent group/kind mean a core Service; absent weight means 1. */
const BackendRef = z.object({
  group: z.string().nullish(),
  kind: z.string().nullish(),
  namespace: z.string().nullish(),
  name: z.string(),
  port: z.number().int().nullish(),
  weight: z.number().nullish(),
});
export type BackendRef = z.infer<typeof BackendRef>;

/** A Gateway API HTTPRouteMatch: path (default PathPrefix "/"), headers, method; all must hold. */
const GatewayMatch = z.object({
  path: z.object({ type: z.string().nullish(), value: z.string().nullish() }).nullish(),
  headers: z.array(z.object({ type: z.string().nullish(), name: z.string(), value: z.string() })).nullish(),
  method: z.string().nullish(),
});
export type GatewayMatch = z.infer<typeof GatewayMatch>;

/** A rule's filter; the router acts on RequestMirror (a copy to another backend, its answer discarded). */
const GatewayFilter = z.object({
  type: z.string(),
  requestMirror: z
    .object({
      backendRef: BackendRef,
      percent: z.number().nullish(),
      fraction: z.object({ numerator: z.number(), denominator: z.number().nullish() }).nullish(),
    })
    .nullish(),
});
export type GatewayFilter = z.infer<typeof GatewayFilter>;

/** gateway.networking.k8s.io HTTPRoute (v1 and v1beta1 share this shape): parents and the rules. */
export const HTTPRoute = z.object({
  metadata: Meta,
  spec: z.object({
    parentRefs: z.array(ParentRef).nullish(),
    rules: z
      .array(
        z.object({
          name: z.string().nullish(),
          matches: z.array(GatewayMatch).nullish(),
          filters: z.array(GatewayFilter).nullish(),
          backendRefs: z.array(BackendRef).nullish(),
        }),
      )
      .nullish(),
  }),
});
export type HTTPRoute = z.infer<typeof HTTPRoute>;
