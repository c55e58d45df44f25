/**
 * Sinks: how workflow code hands data to the host without breaking determinism. Workflow code
 * calls `proxySinks().iface.fn(...args)` (or `log.info(...)`, which is the `__temporal_logger`
 * sink); the workflow library only records the call. The sandbox thread ships the recorded calls
 * with the activation's result, and the host calls the matching {@link InjectedSinkFunction} here,
 * on the main side, before the activation's completion is used — as the official worker does.
 */
import { noopMetricMeter, type MetricMeter, type MetricTags } from '@temporalio/common';
import type { Sinks, WorkflowInfo } from '@temporalio/workflow';
// A named import: the module sets `__esModule`, so a default import is undefined when this file is loaded as CommonJS (a worker file `require`s it).
import { createUnsafeRandomSource } from '@temporalio/workflow/lib/random-helpers.js';
import { dropsLevel, type Logger, type LogLevel, type LogMetadata } from '../core/logger.js';
import { revive } from './portable-values.js';
import type { SinkCallRecord } from './protocol.js';
import type { WorkflowLogLevel } from './thread/context-globals.js';

/** A host function behind one sink function; the official worker's shape. */
export interface InjectedSinkFunction<F extends (...args: never[]) => void = (...args: never[]) => void> {
  /** Called with the workflow's info at the time of the call, then the call's (cloned) arguments. */
  fn(info: WorkflowInfo, ...args: Parameters<F>): void | Promise<void>;
  /**
   * Also call it for calls made while replaying history (after a cache eviction, say).
   * @default false
   */
  readonly callDuringReplay?: boolean;
}

/** Host functions for the sinks workflow code uses: `{ [sinkName]: { [fnName]: { fn, callDuringReplay? } } }`. */
export type InjectedSinks<T extends Sinks = Sinks> = {
  [I in keyof T]: { [F in keyof T[I]]: T[I][F] extends (...args: never[]) => void ? InjectedSinkFunction<T[I][F]> : never };
};

/** What the sandbox calls with the sink calls of each activation. */
export interface SinkCallHandler {
  /** Never rejects: a failing sink is logged, it never fails the workflow task. */
  dispatch(calls: readonly SinkCallRecord[]): Promise<void>;
  /**
   * Workflow `log.*` levels whose calls `dispatch` would drop anyway (the logger is known to
   * skip them): the threads do not ship those calls at all.
   */
  readonly quietLogLevels?: readonly WorkflowLogLevel[];
}

const LOGGER_SINK = '__temporal_logger';
const WORKFLOW_LOG_LEVELS: readonly WorkflowLogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];
const LOG_LEVEL: Record<WorkflowLogLevel, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };
/** The deprecated name of the logger sink; calls to it go to {@link LOGGER_SINK}. */
const DEPRECATED_LOGGER_SINK = 'defaultWorkerLogger';

/** The `__temporal_logger` sink: workflow `log.*` lines to `logger`, tagged as the workflow's. */
export function loggerSink(logger: Logger): InjectedSinks {
  const level = (name: 'trace' | 'debug' | 'info' | 'warn' | 'error') => ({
    fn: (_info: WorkflowInfo, message: string, attrs?: Record<string, unknown>) => logger[name](message, { sdkComponent: 'workflow', ...attrs } as LogMetadata),
  });
  return { __temporal_logger: { trace: level('trace'), debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') } };
}

type NumericValueType = 'int' | 'float';

/**
 * The `__temporal_metrics` sink behind the workflow library's `metricMeter`: records on `meter`.
 * The library already skips calls in replay and adds the workflow's tags; metric objects are
 * created once per name and kept, as the sandbox cannot hand them out.
 */
export function metricSink(meter: MetricMeter): InjectedSinks {
  const metrics = new Map<string, object>();
  const get = <M extends object>(key: string, create: () => M): M => {
    let metric = metrics.get(key) as M | undefined;
    if (metric === undefined) metrics.set(key, (metric = create()));
    return metric;
  };
  return {
    __temporal_metrics: {
      addMetricCounterValue: {
        fn: (_info: WorkflowInfo, name: string, unit: string | undefined, description: string | undefined, value: number, tags?: MetricTags) =>
          get(`counter:${name}`, () => meter.createCounter(name, unit, description)).add(value, tags),
      },
      recordMetricHistogramValue: {
        fn: (_info: WorkflowInfo, name: string, valueType: NumericValueType, unit: string | undefined, description: string | undefined, value: number, tags?: MetricTags) =>
          get(`histogram:${valueType}:${name}`, () => meter.createHistogram(name, valueType, unit, description)).record(value, tags),
      },
      setMetricGaugeValue: {
        fn: (_info: WorkflowInfo, name: string, valueType: NumericValueType, unit: string | undefined, description: string | undefined, value: number, tags?: MetricTags) =>
          get(`gauge:${valueType}:${name}`, () => meter.createGauge(name, valueType, unit, description)).set(value, tags),
      },
    },
  };
}

/**
 * Calls user sinks (and the logger sink) for the calls an activation recorded. Replay rule of
 * the official worker: a call made while replaying history events is skipped unless its sink
 * function has `callDuringReplay`; calls from queries are live and always made.
 */
export class SinkDispatcher implements SinkCallHandler {
  readonly #sinks: InjectedSinks;
  readonly #logger: Logger;

  readonly #replayWorker: boolean;
  readonly quietLogLevels: readonly WorkflowLogLevel[];

  /**
   * `sinks` may override the logger sink; unset, `log.*` goes to `logger`. Workflow metrics go to
   * `meter`. A `replayWorker` (the replayer) calls only `callDuringReplay` functions, whatever
   * the call, as the official replay worker does.
   */
  constructor(sinks: InjectedSinks | undefined, logger: Logger, meter: MetricMeter = noopMetricMeter, options: { replayWorker?: boolean } = {}) {
    this.#sinks = { ...loggerSink(logger), ...metricSink(meter), ...sinks };
    this.#replayWorker = options.replayWorker ?? false;
    if (sinks?.[DEPRECATED_LOGGER_SINK] !== undefined) this.#sinks[LOGGER_SINK] = sinks[DEPRECATED_LOGGER_SINK];
    this.#logger = logger;
    // Only our own logger sink is known to end in `logger`; a user's may want every call.
    const ownLoggerSink = sinks?.[LOGGER_SINK] === undefined && sinks?.[DEPRECATED_LOGGER_SINK] === undefined;
    this.quietLogLevels = ownLoggerSink ? WORKFLOW_LOG_LEVELS.filter((level) => dropsLevel(logger, LOG_LEVEL[level])) : [];
  }

  async dispatch(calls: readonly SinkCallRecord[]): Promise<void> {
    await Promise.all(calls.map((call) => this.#call(call)));
  }

  async #call(call: SinkCallRecord): Promise<void> {
    const ifaceName = call.ifaceName === DEPRECATED_LOGGER_SINK ? LOGGER_SINK : call.ifaceName;
    const { fnName, workflowInfo } = call;
    const where = { namespace: workflowInfo.namespace, taskQueue: workflowInfo.taskQueue, workflowId: workflowInfo.workflowId, runId: workflowInfo.runId, workflowType: workflowInfo.workflowType };
    const sink = this.#sinks[ifaceName]?.[fnName];
    if (sink === undefined) {
      this.#logger.error('Workflow referenced an unregistered external sink', { ...where, ifaceName, fnName });
      return;
    }
    if ((this.#replayWorker || workflowInfo.unsafe.isReplayingHistoryEvents) && !sink.callDuringReplay) return;
    // The thread cannot ship functions; give the sink an info whose `unsafe` helpers work.
    const revived = revive(workflowInfo) as WorkflowInfo;
    const info: WorkflowInfo = { ...revived, unsafe: { ...revived.unsafe, now: Date.now, random: createUnsafeRandomSource(Math.random) } };
    try {
      await sink.fn(info, ...(call.args.map(revive) as never[]));
    } catch (error) {
      this.#logger.error('External sink function threw an error', { ...where, ifaceName, fnName, error });
    }
  }
}
