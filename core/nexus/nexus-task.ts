/**
 * One Nexus task: a start or cancel request the server routed to this entity's queue, run by the
 * user's service handler inside the `@temporalio/nexus` handler context (`getClient()`, `log`,
 * `operationInfo()`), and answered with RespondNexusTaskCompleted (a result, an operation token,
 * an OperationError, a cancel done) or RespondNexusTaskFailed (a HandlerError), as the official
 * worker answers.
 */
import type { Client } from '@temporalio/client';
import { CancelledFailure, LoggerWithComposedMetadata, MetricMeterWithComposedTags, SdkComponent, type LoadedDataConverter, type MetricMeter } from '@temporalio/common';
import { encodeToPayload } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import { asyncLocalStorage } from '@temporalio/nexus/lib/context.js';
import * as nexus from 'nexus-rpc';
import type { Connection } from '../connection/connection.js';
import { temporal } from '../connection/proto.js';
import type { Logger } from '../logger.js';
import { TaskInterceptors, type NexusInterceptorsFactory } from './nexus-interceptors.js';
import { decodeInput, handlerErrorFailure, operationErrorFailure, toNexusFailure } from './nexus-failures.js';
import { parseRequestTimeout } from './request-timeout.js';

type IPollNexusResponse = temporal.api.workflowservice.v1.IPollNexusTaskQueueResponse;
type IRequest = temporal.api.nexus.v1.IRequest;
type IResponse = temporal.api.nexus.v1.IResponse;
type IFailure = temporal.api.failure.v1.IFailure;

/**
 * A service handler of any service. `any`: each handler is typed by its own operation map, which
 * no common map covers (the official `nexusServices` option is typed the same way).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServiceHandler = nexus.ServiceHandler<any>;

/** What a Nexus task needs from its worker. */
export interface NexusTaskDeps {
  connection: Connection;
  namespace: string;
  taskQueue: string;
  identity: string;
  services: ReadonlyMap<string, AnyServiceHandler>;
  dataConverter: LoadedDataConverter;
  logger: Logger;
  metricMeter: MetricMeter;
  /** The entity's `@temporalio/client` Client; undefined once the entity closed. */
  client: () => Promise<Client> | undefined;
  /** `WorkerOptions.interceptors.nexus`. */
  interceptors: readonly NexusInterceptorsFactory[];
}

export type NexusOutcome = 'completed' | 'operationError' | 'handlerError';

/** The server's answer to one task: a response, or a failure in its Temporal shape. */
type Answer = { response: IResponse } | { failure: IFailure };

export class NexusTask {
  private readonly abort = new AbortController();
  private readonly headers: Record<string, string>;
  /** From the `Request-Timeout` header: when the server gives up on the request. */
  private readonly timeoutMs: number | undefined;
  private readonly ctx: nexus.OperationContext;
  readonly service: string;
  readonly operation: string;

  constructor(
    private readonly task: IPollNexusResponse,
    private readonly deps: NexusTaskDeps,
  ) {
    const variant = task.request?.startOperation ?? task.request?.cancelOperation;
    this.service = variant?.service ?? '';
    this.operation = variant?.operation ?? '';
    this.headers = lowerCaseKeys(task.request?.header);
    this.timeoutMs = parseRequestTimeout(this.headers['request-timeout']);
    const requestDeadline = this.timeoutMs === undefined ? undefined : new Date(Date.now() + this.timeoutMs);
    this.ctx = { service: this.service, operation: this.operation, headers: caseInsensitive(this.headers), abortSignal: this.abort.signal, requestDeadline };
  }

  /** Aborts the handler's signal with a CancelledFailure naming why, as the official worker does. */
  cancel(reason: 'TIMED_OUT' | 'WORKER_SHUTDOWN'): void {
    if (!this.abort.signal.aborted) this.abort.abort(new CancelledFailure(reason));
  }

  /** Runs the handler and answers the server; never throws. */
  async run(): Promise<NexusOutcome> {
    const request = this.task.request ?? {};
    // The server gives up on the request at its deadline: the handler is told to stop then.
    const timer = this.timeoutMs === undefined ? undefined : setTimeout(() => this.cancel('TIMED_OUT'), this.timeoutMs);
    let answer: Answer;
    try {
      answer = await this.inContext(request, (interceptors) => this.handle(request, interceptors));
    } catch (err) {
      answer = { failure: await handlerErrorFailure(this.deps.dataConverter, err) };
    } finally {
      clearTimeout(timer);
    }
    await this.respond(answer, request.capabilities?.temporalFailureResponses ?? false);
    const outcome = 'failure' in answer ? 'handlerError' : answer.response.startOperation?.failure ? 'operationError' : 'completed';
    // As the official worker: a handler that failed is worth a warning, unless the worker stopped it.
    if (outcome !== 'completed' && !this.abort.signal.aborted) {
      const failure = 'failure' in answer ? answer.failure : answer.response.startOperation?.failure;
      this.deps.logger.warn('Nexus handler invocation failed', { namespace: this.deps.namespace, taskQueue: this.deps.taskQueue, service: this.service, operation: this.operation, outcome, message: failure?.message });
    }
    return outcome;
  }

  /** Runs `fn` in the handler context; a factory or client that throws is answered as a HandlerError. */
  private async inContext<T>(request: IRequest, fn: (interceptors: TaskInterceptors) => Promise<T>): Promise<T> {
    const { deps } = this;
    const interceptors = new TaskInterceptors(deps.interceptors, this.ctx);
    const client = await deps.client();
    if (!client) throw new nexus.HandlerError('INTERNAL', 'The worker is closing', { retryableOverride: true });
    const base = { namespace: deps.namespace, taskQueue: deps.taskQueue, service: this.service, operation: this.operation };
    const log = LoggerWithComposedMetadata.compose(deps.logger, () => ({ sdkComponent: SdkComponent.nexus, ...interceptors.logAttributes(base) }));
    const metrics = MetricMeterWithComposedTags.compose(deps.metricMeter, () => interceptors.metricTags(base));
    const store = { client, namespace: deps.namespace, taskQueue: deps.taskQueue, endpoint: request.endpoint ?? '', log, metrics };
    return asyncLocalStorage.run(store, () => fn(interceptors));
  }

  private async handle(request: IRequest, interceptors: TaskInterceptors): Promise<Answer> {
    const dc = this.deps.dataConverter;
    const handler = this.operationHandler();
    const start = request.startOperation;
    if (start) {
      if (!start.requestId) throw new nexus.HandlerError('BAD_REQUEST', 'Missing requestId in Nexus start operation request');
      const ctx: nexus.StartOperationContext = {
        ...this.ctx,
        requestId: start.requestId,
        inboundLinks: (start.links ?? []).map(toNexusLink),
        callbackUrl: start.callback ?? undefined,
        callbackHeaders: lowerCaseKeys(start.callbackHeader),
        outboundLinks: [],
      };
      try {
        const input = await decodeInput(dc, start.payload, handler.inputType);
        const { result } = await interceptors.start({ ctx, input }, async (i) => ({ result: await handler.start(i.ctx, i.input) }));
        const links = ctx.outboundLinks.map((l) => ({ url: l.url.toString(), type: l.type }));
        const startOperation = result.isAsync
          ? { asyncSuccess: { operationToken: result.token, links } }
          : { syncSuccess: { payload: await encodeToPayload(dc, result.value, undefined, handler.outputType), links } };
        return { response: { startOperation } };
      } catch (err) {
        if (err instanceof nexus.OperationError) return { response: { startOperation: { failure: await operationErrorFailure(dc, err) } } };
        throw err;
      }
    }
    const cancel = request.cancelOperation;
    if (cancel) {
      if (!cancel.operationToken) throw new nexus.HandlerError('BAD_REQUEST', 'Request missing Operation token');
      await interceptors.cancel({ ctx: this.ctx, token: cancel.operationToken }, (i) => handler.cancel(i.ctx, i.token));
      return { response: { cancelOperation: {} } };
    }
    throw new nexus.HandlerError('NOT_IMPLEMENTED', 'The Nexus task holds neither a start nor a cancel request, the only two this worker handles');
  }

  private operationHandler(): ReturnType<nexus.ServiceHandler['getOperationHandler']> {
    const service = this.deps.services.get(this.service);
    if (!service) throw new nexus.HandlerError('NOT_FOUND', `No service handler registered for service name '${this.service}'`);
    return service.getOperationHandler(this.operation);
  }

  /**
   * A server without `temporalFailureResponses` takes the older shapes: an OperationError as an
   * `operationError` with its state, a HandlerError as a Nexus `HandlerError` with its type.
   */
  private async respond(answer: Answer, temporalFailures: boolean): Promise<void> {
    const { connection, namespace, identity } = this.deps;
    const taskToken = this.task.taskToken!;
    try {
      if ('response' in answer) {
        const failure = answer.response.startOperation?.failure;
        const response =
          failure && !temporalFailures
            ? { startOperation: { operationError: { operationState: failure.canceledFailureInfo ? 'canceled' : 'failed', failure: toNexusFailure(failure) } } }
            : answer.response;
        await connection.call('respondNexusTaskCompleted', { namespace, identity, taskToken, response });
        return;
      }
      const { failure } = answer;
      const info = failure.nexusHandlerFailureInfo;
      const error = temporalFailures ? undefined : { errorType: info?.type ?? 'INTERNAL', failure: toNexusFailure(failure), retryBehavior: info?.retryBehavior };
      await connection.call('respondNexusTaskFailed', { namespace, identity, taskToken, ...(error ? { error } : { failure }) });
    } catch (err) {
      // The server may have given up on the request already (its timeout, a cancel): nothing to do.
      this.deps.logger.warn('Could not answer a Nexus task', { service: this.service, operation: this.operation, error: err });
    }
  }
}

/** Nexus header names are case-insensitive: the official core hands them on lower-cased. */
function lowerCaseKeys(headers: Record<string, string> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The handler's view of the request headers: any spelling of a name finds it, as in the official worker. */
function caseInsensitive(headers: Record<string, string>): Record<string, string> {
  return new Proxy(headers, {
    get: (target, name) => (typeof name === 'string' ? target[name.toLowerCase()] : undefined),
    set: (target, name, value: unknown) => {
      if (typeof name !== 'string' || typeof value !== 'string') throw new TypeError('header names and values must be strings');
      target[name.toLowerCase()] = value;
      return true;
    },
  });
}

function toNexusLink(link: temporal.api.nexus.v1.ILink): nexus.Link {
  if (!link.url) throw new nexus.HandlerError('BAD_REQUEST', 'empty link URL');
  if (!link.type) throw new nexus.HandlerError('BAD_REQUEST', 'empty link type');
  return { url: new URL(link.url), type: link.type };
}
