/**
 * `builtin:prometheus`: the runtime's metric events as Prometheus metrics with the Temporal SDK's
 * names and labels, on a registry of its own (never prom-client's global one, so two runtimes in
 * one process do not mix), served by the control API at GET /metrics.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { z } from 'zod';
import { defineMetricsPlugin, RuntimeViewToken } from '../contracts.js';
import { DEFAULT_BUCKETS_MS, temporalMetrics } from './metrics.js';
import { PrometheusMeter } from './user-meter.js';

export const prometheusOptionsSchema = z
  .object({
    /** Also export prom-client's process metrics (CPU, memory, event loop lag). @default false */
    processMetrics: z.boolean().default(false),
    /** Histogram buckets, ms. */
    bucketsMs: z.array(z.number().positive()).min(1).default(DEFAULT_BUCKETS_MS),
    /** Labels added to every metric (e.g. { service: 'billing' }). @default {} */
    defaultLabels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name'), z.string()).default({}),
  })
  .strict();

export type PrometheusOptions = z.input<typeof prometheusOptionsSchema>;

export default defineMetricsPlugin<z.output<typeof prometheusOptionsSchema>>({
  name: 'prometheus',
  optionsSchema: prometheusOptionsSchema,
  setup({ options, container }) {
    const registry = new Registry();
    registry.setDefaultLabels(options.defaultLabels);
    if (options.processMetrics) collectDefaultMetrics({ register: registry });
    const buckets = [...options.bucketsMs].sort((a, b) => a - b);
    const handle = temporalMetrics(registry, container.resolve(RuntimeViewToken), buckets);
    return {
      handle,
      meter: new PrometheusMeter(registry, buckets),
      scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
      close: async () => registry.clear(),
    };
  },
});
