/**
 * Calling one activity function the way the official worker does, shared by activities polled
 * from the server (activity-execution.ts) and local activities (core/local-activity/): the
 * `@temporalio/activity` Context, the inbound interceptors, argument decoding, and cancellation
 * with the official reasons and details.
 */
import { asyncLocalStorage, Context, type Info } from '@temporalio/activity';
import { ActivityCancellationDetails, ApplicationFailure, CancelledFailure, noopMetricMeter, type LoadedDataConverter, type MetricMeter, type Payload } from '@temporalio/common';
import type { ActivityCancellationDetailsHolder } from '@temporalio/common/lib/activity-cancellation-details.js';
import type { Logger } from '../logger.js';
import { LazyClientContext, runInOwnResource, type ClientSource } from './context-client.js';
import { decodeArray } from './payload-fast-path.js';

/** A user activity: any function; its arguments and result go through the payload converter. */
// `any` because activities are user functions of every shape; the converter checks values at run time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActivityFunction = (...args: any[]) => unknown;

/** Why an activity's cancellation signal fired. Matches the official SDK's reasons. */
export type CancelReason = 'CANCELLED' | 'TIMED_OUT' | 'NOT_FOUND' | 'WORKER_SHUTDOWN' | 'PAUSED' | 'RESET';

/** What calling an activity function needs from its worker. */
export interface ActivityInvocationDeps {
  activities: ReadonlyMap<string, ActivityFunction>;
  dataConverter: LoadedDataConverter;
  logger: Logger;
  /** Runs around the user function (activity inbound interceptors). */
  invoke?: (info: Info, fn: ActivityFunction, args: unknown[], headers: Readonly<Record<string, Payload>>) => Promise<unknown>;
}

/** The cancellation side of one activity attempt: its abort signal, `Context.cancelled` and details. */
export class ActivityCancellation {
  readonly controller = new AbortController();
  readonly details: ActivityCancellationDetailsHolder = {};
  /** Rejects with the CancelledFailure once cancelled; what `Context.cancelled` is. */
  readonly cancelled: Promise<never>;
  private reasonGiven: CancelReason | undefined;
  private rejectCancelled!: (err: CancelledFailure) => void;

  constructor() {
    this.cancelled = new Promise<never>((_, reject) => (this.rejectCancelled = reject));
    // Users often never await `cancelled`; without this, its rejection would be unhandled.
    this.cancelled.catch(() => undefined);
  }

  get reason(): CancelReason | undefined {
    return this.reasonGiven;
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Fires once; the first reason wins. */
  cancel(reason: CancelReason): void {
    if (this.reasonGiven) return;
    this.reasonGiven = reason;
    this.details.details = new ActivityCancellationDetails({
      cancelRequested: reason === 'CANCELLED',
      timedOut: reason === 'TIMED_OUT',
      notFound: reason === 'NOT_FOUND',
      workerShutdown: reason === 'WORKER_SHUTDOWN',
      paused: reason === 'PAUSED',
      reset: reason === 'RESET',
    });
    const failure = new CancelledFailure(reason);
    this.controller.abort(failure);
    this.rejectCancelled(failure);
  }
}

/**
 * Decodes the input, finds the function for `info.activityType` and runs it inside its Context
 * (and the inbound interceptors). Resolves with the function's result; rejects with what it threw.
 */
export async function invokeActivity(
  info: Info,
  call: {
    input: Payload[] | null | undefined;
    headers: Readonly<Record<string, Payload>>;
    heartbeat: (details?: unknown) => void;
    /** `Context.current().client`, made on first read; its calls end when the activity is cancelled, as in the official worker. */
    client?: ClientSource;
    metricMeter?: MetricMeter;
  },
  cancellation: ActivityCancellation,
  deps: ActivityInvocationDeps,
): Promise<unknown> {
  const { signal } = cancellation.controller;
  const made = call.client?.peek();
  const parts: ConstructorParameters<typeof Context> = [info, cancellation.cancelled, signal, call.heartbeat, made, deps.logger, call.metricMeter ?? noopMetricMeter, cancellation.details];
  // Without a made client, `Context.client` makes it on first read (context-client.ts).
  const context = made || !call.client ? new Context(...parts) : new LazyClientContext({ source: call.client, signal, logger: deps.logger }, ...parts);
  const fn = deps.activities.get(info.activityType);
  if (!fn) throw unknownActivity(info.activityType, deps.activities);
  const decoded = decodeArray(deps.dataConverter, call.input);
  const args = Array.isArray(decoded) ? decoded : await decoded;
  const invoke = (): Promise<unknown> => (deps.invoke ? deps.invoke(info, fn, args, call.headers) : Promise.resolve(fn(...args)));
  return asyncLocalStorage.run(context, () => made ? made.withAbortSignal(signal, invoke) : call.client ? runInOwnResource(invoke) : invoke());
}

function unknownActivity(type: string, registered: ReadonlyMap<string, unknown>): ApplicationFailure {
  const names = [...registered.keys()].sort();
  return ApplicationFailure.create({
    type: 'NotFoundError',
    message: `Activity function ${type} is not registered on this worker; registered activities: [${names.join(', ')}]`,
    nonRetryable: false,
  });
}
