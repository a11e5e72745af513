/**
 * `relay-gateway/prometheus`: a gateway's metrics for Prometheus (through `prom-client`) and a small
 * health server (`/healthz`, `/metrics`). A separate entry, so applications that do not use it never
 * load `prom-client`.
 * @module
 */
export { registerGatewayMetrics, type GatewayMetricsOptions, type GatewayMetricsRegistration } from './prometheus.js';
export { serveHealth, type HealthReport, type HealthServer, type HealthServerOptions } from './health-server.js';
