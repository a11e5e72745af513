/**
 * A gateway's metrics in the Prometheus text format, through `prom-client` (the ecosystem's library),
 * on a registry of the application's or a new one. Import from `relay-gateway/prometheus`: the main
 * entry never loads `prom-client`.
 *
 * Counters and gauges read `gateway.metrics()` when Prometheus scrapes (nothing runs between
 * scrapes); the request latency histogram and the per-result counter are fed by
 * `gateway.observeRequests`.
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CONNECTION_STATE_NAMES } from '../../machines/public-state.js';
import type { GatewayMetrics, RelayGateway } from '../gateway/create-relay-gateway.js';

/** Options of {@link registerGatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** Registry to register the metrics on (the application's own, usually). @default a new `Registry` */
  readonly registry?: Registry;
  /** Prefix of every metric name. @default "relay_gateway_" */
  readonly prefix?: string;
  /** Labels added to every sample, e.g. `{ gateway: "gw-1" }` when one registry serves several. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Request latency buckets, in seconds. @default 1 ms to 30 s */
  readonly latencyBuckets?: readonly number[];
}

/** What {@link registerGatewayMetrics} returns. */
export interface GatewayMetricsRegistration {
  /** The registry the metrics are on. */
  readonly registry: Registry;
  /** Remove the metrics from the registry and stop observing requests. */
  unregister(): void;
}

const DEFAULT_LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Register the gateway's metrics on a prom-client registry:
 * - `state{state}` (1 for the current state, 0 for the others) and `time_in_state_seconds`;
 * - `dials_total`, `handshakes_total`, `reconnects_total{cause}`;
 * - `frames_total{direction}`, `inbound_total{outcome}` (delivered, acked, duplicate, deferred, shed),
 *   `handler_errors_total`, `inbound_queued`, `handlers_running`;
 * - `pending_requests`, `request_duration_seconds{op}` (histogram), `requests_total{op,result}`;
 * - `egress_declines_total`, `prompts_pending`, `prompt_answers_total{kind}`, `draft_streams_open`,
 *   `chat_platforms_known` (the later protocol).
 *
 * @example
 * ```ts
 * import { register } from 'prom-client';
 * import { registerGatewayMetrics } from 'relay-gateway/prometheus';
 * registerGatewayMetrics(gateway, { registry: register });
 * ```
 */
export function registerGatewayMetrics(gateway: RelayGateway, options: GatewayMetricsOptions = {}): GatewayMetricsRegistration {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'relay_gateway_';
  const constant = { ...options.labels };
  const constantNames = Object.keys(constant);
  // One snapshot per scrape, shared by every collector of that scrape.
  let snapshot: { at: number; metrics: GatewayMetrics } | undefined;
  const read = (): GatewayMetrics => {
    const at = Date.now();
    if (!snapshot || snapshot.at !== at) snapshot = { at, metrics: gateway.metrics() };
    return snapshot.metrics;
  };
  // Names registered, to take them off the registry again.
  const names: string[] = [];
  const named = (name: string): string => {
    names.push(`${prefix}${name}`);
    return `${prefix}${name}`;
  };
  // Monotonic values kept by the gateway, exposed as Prometheus counters.
  const counter = (name: string, help: string, labelNames: readonly string[], values: (m: GatewayMetrics) => Array<[Record<string, string>, number]>): void => {
    new Counter({
      name: named(name),
      help,
      labelNames: [...constantNames, ...labelNames],
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of values(read())) if (value > 0) this.inc({ ...constant, ...labels }, value);
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: readonly string[], values: (m: GatewayMetrics) => Array<[Record<string, string>, number]>): void => {
    new Gauge({
      name: named(name),
      help,
      labelNames: [...constantNames, ...labelNames],
      registers: [registry],
      collect() {
        for (const [labels, value] of values(read())) this.set({ ...constant, ...labels }, value);
      },
    });
  };
  const one = (value: number): Array<[Record<string, string>, number]> => [[{}, value]];

  gauge('state', 'Current connection state: 1 for the state the gateway is in, 0 for the others.', ['state'], (m) =>
    CONNECTION_STATE_NAMES.map((state) => [{ state }, m.state === state ? 1 : 0]),
  );
  gauge('time_in_state_seconds', 'Seconds spent in the current state.', [], (m) => one(m.timeInStateMs / 1000));
  counter('dials_total', 'Dials started.', [], (m) => one(m.dials));
  counter('handshakes_total', 'Handshakes completed.', [], (m) => one(m.handshakes));
  counter('reconnects_total', 'Reconnects and re-dials, by cause (refused, dns, tls, http, closed, no-pong, replay, ...).', ['cause'], (m) =>
    Object.entries(m.reconnectsByCause).map(([cause, value]) => [{ cause }, value]),
  );
  counter('frames_total', 'Frames read from and written to the connector.', ['direction'], (m) => [
    [{ direction: 'in' }, m.framesIn],
    [{ direction: 'out' }, m.framesOut],
  ]);
  counter('inbound_total', 'Inbound deliveries by outcome.', ['outcome'], (m) => [
    [{ outcome: 'delivered' }, m.inboundDelivered],
    [{ outcome: 'acked' }, m.inboundAcked],
    [{ outcome: 'duplicate' }, m.duplicatesDropped],
    [{ outcome: 'deferred' }, m.inboundDeferred],
    [{ outcome: 'shed' }, m.inboundShed],
  ]);
  counter('handler_errors_total', 'Inbound handlers that threw (the message is not acked; the connector redelivers).', [], (m) => one(m.handlerErrors));
  gauge('inbound_queued', 'Inbound deliveries waiting for a handler.', [], (m) => one(m.inboundQueued));
  gauge('handlers_running', 'Inbound handlers running now.', [], (m) => one(m.handlersRunning));
  gauge('pending_requests', 'Outbound requests waiting for their result.', [], (m) => one(m.pendingRequests));
  counter('egress_declines_total', 'Outbound requests the connector declined for their destination (egress_declined); never retried.', [], (m) => one(m.egressDeclines));
  gauge('prompts_pending', 'Prompts waiting for an answer.', [], (m) => one(m.promptsPending));
  counter('prompt_answers_total', 'Prompt answers by classification (resolved, stale, foreign, already-resolved, malformed).', ['kind'], (m) =>
    Object.entries(m.promptAnswers).map(([kind, value]) => [{ kind }, value]),
  );
  gauge('draft_streams_open', 'Draft streams open (streamed in place, not yet sealed).', [], (m) => one(m.draftStreamsOpen));
  gauge('chat_platforms_known', 'Chats whose platform is known from inbound traffic (outbound tagging).', [], (m) => one(m.chatPlatforms));

  const latency = new Histogram({
    name: named('request_duration_seconds'),
    help: 'Outbound request latency, from the call to its result, by op.',
    labelNames: [...constantNames, 'op'],
    buckets: [...(options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS)],
    registers: [registry],
  });
  const requests = new Counter({
    name: named('requests_total'),
    help: 'Outbound requests by op and result (success, a failure code such as timeout or not_connected, or failed).',
    labelNames: [...constantNames, 'op', 'result'],
    registers: [registry],
  });
  const stopObserving = gateway.observeRequests(({ op, result, durationMs }) => {
    latency.observe({ ...constant, op }, durationMs / 1000);
    requests.inc({ ...constant, op, result });
  });

  return {
    registry,
    unregister() {
      stopObserving();
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}
