/**
 * The `@temporalio/common` `MetricMeter` of the Prometheus plugin: what activities record through
 * `Context.current().metricMeter` and workflows through `metricMeter` appears on `/metrics`
 * beside the SDK metrics, as with the official worker's Prometheus exporter.
 *
 * prom-client metrics need their label names up front, while Temporal metrics take any tags on
 * each call; so each user metric is a family of series keyed by its label set, which the
 * registry reads at scrape time (prom-client's `get()` protocol).
 */
import type { MetricCounter, MetricGauge, MetricHistogram, MetricMeter, MetricTags, NumericMetricValueType } from '@temporalio/common';
import type { Registry } from 'prom-client';
import { RuntimeError } from '../../core/errors.js';

type Kind = 'counter' | 'histogram' | 'gauge';
type Labels = Record<string, string>;

interface Series {
  readonly labels: Labels;
  value: number;
  /** Histograms: observations per bucket (not cumulative), then sum and count. */
  readonly buckets?: number[];
  sum: number;
  count: number;
}

/** A user metric cannot be recorded as asked: a negative counter increment, or a name taken by a metric of another kind. */
export class MetricInvalidError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('METRIC_INVALID', message, options);
  }
}

const labelName = (key: string): string => key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(\d)/, '_$1');
export const metricName = (name: string): string => name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/^(\d)/, '_$1');

/** One user metric and its series; registered on the registry as a custom collector. */
class Family {
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: Kind,
    readonly bucketBounds: readonly number[],
  ) {}

  #at(tags: MetricTags): Series {
    const labels: Labels = {};
    for (const [k, v] of Object.entries(tags)) labels[labelName(k)] = String(v);
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels, value: 0, sum: 0, count: 0, buckets: this.type === 'histogram' ? this.bucketBounds.map(() => 0) : undefined };
      this.#series.set(key, series);
    }
    return series;
  }

  add(value: number, tags: MetricTags): void {
    if (!(value >= 0)) throw new MetricInvalidError(`Counter ${this.name} can only be increased, got ${value}`);
    this.#at(tags).value += value;
  }

  set(value: number, tags: MetricTags): void {
    this.#at(tags).value = value;
  }

  observe(value: number, tags: MetricTags): void {
    const series = this.#at(tags);
    const index = this.bucketBounds.findIndex((bound) => value <= bound);
    if (index !== -1) series.buckets![index]!++;
    series.sum += value;
    series.count++;
  }

  /** What prom-client's registry reads at scrape time. */
  get() {
    const values = [...this.#series.values()].flatMap((s): { metricName?: string; labels: Record<string, string | number>; value: number }[] => {
      if (this.type !== 'histogram') return [{ labels: s.labels, value: s.value }];
      let cumulative = 0;
      const buckets = this.bucketBounds.map((le, i) => ({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le }, value: (cumulative += s.buckets![i]!) }));
      return [
        ...buckets,
        { metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count },
        { metricName: `${this.name}_sum`, labels: s.labels, value: s.sum },
        { metricName: `${this.name}_count`, labels: s.labels, value: s.count },
      ];
    });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' as const };
  }
}

/** A `MetricMeter` whose metrics live on `registry`; `withTags` shares them, adding tags. */
export class PrometheusMeter implements MetricMeter {
  readonly #registry: Registry;
  readonly #bucketBounds: readonly number[];
  readonly #families: Map<string, Family>;
  readonly #tags: MetricTags;

  constructor(registry: Registry, bucketBounds: readonly number[], families = new Map<string, Family>(), tags: MetricTags = {}) {
    this.#registry = registry;
    this.#bucketBounds = bucketBounds;
    this.#families = families;
    this.#tags = tags;
  }

  createCounter(name: string, unit?: string, description?: string): MetricCounter {
    const family = this.#family(name, 'counter', description);
    return this.#metric<MetricCounter>({ name: family.name, unit, description, kind: 'counter', valueType: 'int' }, 'add', (v, t) => family.add(v, t));
  }

  createHistogram(name: string, valueType: NumericMetricValueType = 'int', unit?: string, description?: string): MetricHistogram {
    const family = this.#family(name, 'histogram', description);
    return this.#metric<MetricHistogram>({ name: family.name, unit, description, kind: 'histogram', valueType }, 'record', (v, t) => family.observe(v, t));
  }

  createGauge(name: string, valueType: NumericMetricValueType = 'int', unit?: string, description?: string): MetricGauge {
    const family = this.#family(name, 'gauge', description);
    return this.#metric<MetricGauge>({ name: family.name, unit, description, kind: 'gauge', valueType }, 'set', (v, t) => family.set(v, t));
  }

  withTags(tags: MetricTags): MetricMeter {
    return new PrometheusMeter(this.#registry, this.#bucketBounds, this.#families, { ...this.#tags, ...tags });
  }

  /** A metric object whose `method` records with this meter's tags, the call's extra tags on top. */
  #metric<M extends MetricCounter | MetricHistogram | MetricGauge>(fields: Omit<M, 'withTags' | 'add' | 'record' | 'set'>, method: 'add' | 'record' | 'set', record: (value: number, tags: MetricTags) => void): M {
    const make = (tags: MetricTags): M =>
      ({ ...fields, [method]: (value: number, extra?: MetricTags) => record(value, { ...tags, ...extra }), withTags: (more: MetricTags) => make({ ...tags, ...more }) }) as unknown as M;
    return make(this.#tags);
  }

  /** The family called `name`: the same one each time, so two creations record together. */
  #family(name: string, type: Kind, description: string | undefined): Family {
    const promName = metricName(name);
    const existing = this.#families.get(promName);
    if (existing !== undefined) {
      if (existing.type !== type) throw new MetricInvalidError(`Metric ${promName} exists already as a ${existing.type}, not a ${type}`);
      return existing;
    }
    const family = new Family(promName, description || `${name} (user metric)`, type, this.#bucketBounds);
    try {
      this.#registry.registerMetric(family as unknown as Parameters<Registry['registerMetric']>[0]);
    } catch (cause) {
      throw new MetricInvalidError(`Metric name ${promName} is taken by one of the runtime's own metrics; pick another`, { cause });
    }
    this.#families.set(promName, family);
    return family;
  }
}
