/**
 * `builtin:prometheus`: the runtime's metric events as Prometheus metrics with the Temporal SDK's
 * names and labels, on a registry of its own (never prom-client's global one, so two runtimes in
 * one process do not mix), served by the control API at GET /metrics.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { z } from 'zod';
import { defineMetricsPlugin, RuntimeViewToken } from '../contracts.js';
import { temporalMetrics } from './metrics.js';
import { DEFAULT_BUCKETS_MS } from './buckets.js';
import { PrometheusMeter } from './user-meter.js';

export const prometheusOptionsSchema = z
  .object({
    /** Also export prom-client's process metrics (CPU, memory, event loop lag). @default false */
    processMetrics: z.boolean().default(false),
    /** Buckets (ms) for every histogram; without it each gets sdk-core's default for that metric. */
    bucketsMs: z.array(z.number().positive()).min(1).optional(),
    /** The `service_name` label on every metric, as sdk-core's Prometheus exporter sets it. @default 'temporal-core-sdk' */
    serviceName: z.string().min(1).default('temporal-core-sdk'),
    /** More labels on every metric (sdk-core's `globalTags`, e.g. { env: 'prod' }); `service_name` here wins over `serviceName`. @default {} */
    defaultLabels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name'), z.string()).default({}),
  })
  .strict();

export type PrometheusOptions = z.input<typeof prometheusOptionsSchema>;

export default defineMetricsPlugin<z.output<typeof prometheusOptionsSchema>>({
  name: 'prometheus',
  optionsSchema: prometheusOptionsSchema,
  setup({ options, container }) {
    const registry = new Registry();
    registry.setDefaultLabels({ service_name: options.serviceName, ...options.defaultLabels });
    if (options.processMetrics) collectDefaultMetrics({ register: registry });
    const buckets = options.bucketsMs && [...options.bucketsMs].sort((a, b) => a - b);
    const handle = temporalMetrics(registry, container.resolve(RuntimeViewToken), buckets);
    return {
      handle,
      // User histograms (Context.metricMeter) get sdk-core's default buckets unless overridden.
      meter: new PrometheusMeter(registry, buckets ?? DEFAULT_BUCKETS_MS),
      scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
      close: async () => registry.clear(),
    };
  },
});
