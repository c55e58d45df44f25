import type { MetricMeter, Payload } from '@temporalio/common';
/**
 * Plugin contracts. A plugin module default-exports (or exports as `plugin`) one definition made
 * with {@link defineActivityPlugin}, {@link defineInterceptorPlugin} or {@link defineMetricsPlugin};
 * the runtime sets it up once and registers what it returns in the runtime's child container under
 * the contract's token, where the runtime (and other plugins) resolve it.
 */
import type { Info } from '@temporalio/activity';
import type { z } from 'zod';
import type { ActivityFunction } from '../core/activity/activity-execution.js';
import type { Logger } from '../core/logger.js';
import type { RuntimeMetricEvent } from '../core/runtime/metric-events.js';
import type { DependencyContainer, InjectionToken } from './di.js';

/** What a plugin's setup receives. */
export interface PluginContext<O = unknown> {
  /** The plugin's name. */
  readonly name: string;
  /** Its options, validated by its `optionsSchema` when it has one. */
  readonly options: O;
  /** The runtime's child container: resolve host services (a database client…) from it. */
  readonly container: DependencyContainer;
  readonly logger: Logger;
}

/** Activities by type name. */
export type ActivityMap = Readonly<Record<string, ActivityFunction>>;

/** A class whose public methods are activities; constructed through the container. */
// `any[]`: constructor parameters are injected by tsyringe, whatever their types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActivityClass = new (...args: any[]) => object;

/** Contract: named activities, registered under {@link ActivityPluginToken}. */
export interface ActivityPlugin {
  readonly name: string;
  readonly activities: ActivityMap;
}

/** Input of an activity inbound interceptor, as in the official SDK (minus headers). */
export interface ActivityExecuteInput {
  readonly info: Info;
  readonly args: unknown[];
  /** Headers the workflow's outbound interceptors attached to the activity (e.g. trace context). */
  readonly headers: Readonly<Record<string, Payload>>;
}

/** Runs around every activity; must call `next` (or throw). Mirrors the SDK's `ActivityInboundCallsInterceptor.execute`. */
export interface ActivityInboundInterceptor {
  execute?(input: ActivityExecuteInput, next: (input: ActivityExecuteInput) => Promise<unknown>): Promise<unknown>;
}

/** Shapes what an activity emits; mirrors the SDK's `ActivityOutboundCallsInterceptor`. */
export interface ActivityOutboundInterceptor {
  /** Attributes added to every line an activity logs through `Context.current().log`. */
  getLogAttributes?(input: Record<string, unknown>, next: (input: Record<string, unknown>) => Record<string, unknown>): Record<string, unknown>;
}

/** Contract: interceptors, registered under {@link InterceptorPluginToken}. */
export interface InterceptorPlugin {
  readonly name: string;
  /** Called once per activity task. */
  activityInbound?(info: Info): ActivityInboundInterceptor;
  activityOutbound?(info: Info): ActivityOutboundInterceptor;
  /** Absolute paths of workflow interceptor modules (each exports `interceptors()`), bundled with the workflows. */
  readonly workflowModules?: readonly string[];
}

/** Contract: receives the runtime's metric events, registered under {@link MetricsPluginToken}. */
export interface MetricsPlugin {
  readonly name: string;
  /** Called synchronously for every event; a throw is swallowed (metrics never break work). */
  handle(event: RuntimeMetricEvent): void;
  /**
   * Where user metrics go: activities' `Context.current().metricMeter` and workflows'
   * `metricMeter` record on it (the runtime uses the first metrics plugin that has one).
   */
  readonly meter?: MetricMeter;
  /** The exposition served at GET /metrics, when the plugin has one. */
  scrape?(): Promise<{ contentType: string; body: string }>;
  close?(): Promise<void>;
}

export const ActivityPluginToken: InjectionToken<ActivityPlugin> = Symbol.for('tempo-worker-runtime.ActivityPlugin');
export const InterceptorPluginToken: InjectionToken<InterceptorPlugin> = Symbol.for('tempo-worker-runtime.InterceptorPlugin');
export const MetricsPluginToken: InjectionToken<MetricsPlugin> = Symbol.for('tempo-worker-runtime.MetricsPlugin');

/** The kinds of plugin, each with its contract. */
export type PluginKind = 'activity' | 'interceptor' | 'metrics';

interface DefinitionBase<O> {
  /** Unique within a runtime; worker specs refer to plugins by it. */
  readonly name: string;
  /** Validates the options given in config or through the API. */
  readonly optionsSchema?: z.ZodType<O>;
}

/** Exactly one of `activities`, `activityClass` or `setup`. */
export interface ActivityPluginDefinition<O = unknown> extends DefinitionBase<O> {
  readonly kind: 'activity';
  readonly activities?: ActivityMap;
  /** Resolved through the container, so its constructor can `@inject` host services. */
  readonly activityClass?: ActivityClass;
  setup?(ctx: PluginContext<O>): ActivityMap | Promise<ActivityMap>;
}

export interface InterceptorPluginDefinition<O = unknown> extends DefinitionBase<O> {
  readonly kind: 'interceptor';
  setup(ctx: PluginContext<O>): Omit<InterceptorPlugin, 'name'> | Promise<Omit<InterceptorPlugin, 'name'>>;
}

export interface MetricsPluginDefinition<O = unknown> extends DefinitionBase<O> {
  readonly kind: 'metrics';
  setup(ctx: PluginContext<O>): Omit<MetricsPlugin, 'name'> | Promise<Omit<MetricsPlugin, 'name'>>;
}

export type PluginDefinition<O = unknown> = ActivityPluginDefinition<O> | InterceptorPluginDefinition<O> | MetricsPluginDefinition<O>;

/** Typed identity helpers for plugin authors. */
export const defineActivityPlugin = <O = unknown>(d: Omit<ActivityPluginDefinition<O>, 'kind'>): ActivityPluginDefinition<O> => ({ ...d, kind: 'activity' });
export const defineInterceptorPlugin = <O = unknown>(d: Omit<InterceptorPluginDefinition<O>, 'kind'>): InterceptorPluginDefinition<O> => ({ ...d, kind: 'interceptor' });
export const defineMetricsPlugin = <O = unknown>(d: Omit<MetricsPluginDefinition<O>, 'kind'>): MetricsPluginDefinition<O> => ({ ...d, kind: 'metrics' });

/** A read-only view of the runtime, registered for plugins (gauges read it at scrape time). */
export interface RuntimeView {
  list(): readonly import('../core/runtime/worker-info.js').WorkerInfo[];
  /** The process's shared sticky queues (one per namespace in use) and their open polls. */
  sharedStickyQueues?(): readonly { readonly namespace: string; readonly name: string | undefined; readonly activePolls: number }[];
}
export const RuntimeViewToken: InjectionToken<RuntimeView> = Symbol.for('tempo-worker-runtime.RuntimeView');
