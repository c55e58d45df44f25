import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PrometheusMeter } from '../../../plugins/prometheus/user-meter.js';

describe('the Prometheus plugin\'s MetricMeter (user metrics)', () => {
  it('records counters, histograms and gauges with the meter\'s and the call\'s tags; a second creation records into the same metric', async () => {
    const registry = new Registry();
    const meter = new PrometheusMeter(registry, [1, 10]).withTags({ namespace: 'ns', 'task-queue': 'q' });
    meter.createCounter('orders.placed').add(1, { region: 'eu' });
    meter.createCounter('orders.placed', 'orders', 'ignored the second time').withTags({ region: 'eu' }).add(2);
    meter.createHistogram('order_size').record(5);
    meter.createGauge('backlog', 'float').set(2.5);
    const body = await registry.metrics();
    expect(body).toContain('# TYPE orders_placed counter');
    expect(body).toContain('orders_placed{namespace="ns",task_queue="q",region="eu"} 3');
    expect(body).toContain('order_size_bucket{namespace="ns",task_queue="q",le="1"} 0');
    expect(body).toContain('order_size_bucket{namespace="ns",task_queue="q",le="10"} 1');
    expect(body).toContain('order_size_bucket{namespace="ns",task_queue="q",le="+Inf"} 1');
    expect(body).toContain('order_size_count{namespace="ns",task_queue="q"} 1');
    expect(body).toContain('backlog{namespace="ns",task_queue="q"} 2.5');
  });

  it('refuses a negative counter step, a kind change and a name the runtime\'s metrics use, with METRIC_INVALID', () => {
    const registry = new Registry();
    new Counter({ name: 'temporal_request', help: 'sdk', registers: [registry] });
    const meter = new PrometheusMeter(registry, [1]);
    expect(() => meter.createCounter('c').add(-1)).toThrow(expect.objectContaining({ code: 'METRIC_INVALID' }));
    expect(() => meter.createGauge('c')).toThrow(expect.objectContaining({ code: 'METRIC_INVALID' }));
    expect(() => meter.createCounter('temporal_request')).toThrow(expect.objectContaining({ code: 'METRIC_INVALID' }));
  });
});
