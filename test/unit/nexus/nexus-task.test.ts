/**
 * A Nexus task against a recording connection: what is answered for each handler outcome, in the
 * Temporal-failure shape and in the older Nexus shape, with the handler context and interceptors.
 * (The real server is exercised by test/e2e/nexus/.)
 */
import * as grpc from '@grpc/grpc-js';
import { ServiceError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, defaultDataConverter, noopMetricMeter } from '@temporalio/common';
import { log, operationInfo } from '@temporalio/nexus';
import * as nexus from 'nexus-rpc';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../core/connection/connection.js';
import { temporal } from '../../../core/connection/proto.js';
import { loggerFrom, type LogLevel } from '../../../core/logger.js';
import { toHandlerError, toNexusFailure } from '../../../core/nexus/nexus-failures.js';
import type { NexusInterceptorsFactory } from '../../../core/nexus/nexus-interceptors.js';
import { NexusTask } from '../../../core/nexus/nexus-task.js';
import { parseRequestTimeout } from '../../../core/nexus/request-timeout.js';
import { translateWorkerOptions } from '../../../compat/worker-options.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';

const service = nexus.service('svc', { echo: nexus.operation<string, string>(), fail: nexus.operation<string, string>(), slow: nexus.operation<string, string>() });
const handler = nexus.serviceHandler(service, {
  async echo(ctx, input) {
    log.info('in echo', { header: ctx.headers['X-Trace'] });
    return `${input} on ${operationInfo().taskQueue}`;
  },
  async fail() {
    throw new nexus.OperationError('failed', 'no luck');
  },
  slow: (ctx) =>
    new Promise((_, reject) => {
      ctx.abortSignal.addEventListener('abort', () => reject(ctx.abortSignal.reason));
    }),
});

interface Call {
  method: string;
  request: Record<string, unknown>;
}

function setup(interceptors: NexusInterceptorsFactory[] = []) {
  const calls: Call[] = [];
  const lines: Array<{ level: LogLevel; message: string; meta?: Record<string, unknown> }> = [];
  const connection = { call: async (method: string, request: Record<string, unknown>) => void calls.push({ method, request }) } as unknown as Connection;
  const deps = {
    connection,
    namespace: 'ns',
    taskQueue: 'tq',
    identity: 'me',
    services: new Map([[service.name, handler]]),
    dataConverter: defaultDataConverter,
    logger: loggerFrom((level, message, meta) => void lines.push({ level, message, meta })),
    metricMeter: noopMetricMeter,
    client: async () => ({}) as Client,
    interceptors,
  };
  return { calls, lines, deps };
}

const input = (value: unknown) => defaultDataConverter.payloadConverter.toPayload(value);
const startTask = (operation: string, opts: { temporalFailures?: boolean; header?: Record<string, string>; svc?: string } = {}): temporal.api.workflowservice.v1.IPollNexusTaskQueueResponse => ({
  taskToken: new Uint8Array([1]),
  request: {
    header: opts.header ?? {},
    endpoint: 'ep',
    startOperation: { service: opts.svc ?? 'svc', operation, requestId: 'r1', payload: input('hi') },
    capabilities: { temporalFailureResponses: opts.temporalFailures ?? true },
  },
});

describe('a Nexus task', () => {
  it('a sync result is answered with RespondNexusTaskCompleted, in the handler context, headers in any case', async () => {
    const { calls, lines, deps } = setup();
    expect(await new NexusTask(startTask('echo', { header: { 'x-trace': 't1' } }), deps).run()).toBe('completed');
    expect(calls[0]!.method).toBe('respondNexusTaskCompleted');
    const payload = (calls[0]!.request.response as temporal.api.nexus.v1.IResponse).startOperation!.syncSuccess!.payload!;
    expect(defaultDataConverter.payloadConverter.fromPayload(payload)).toBe('hi on tq');
    expect(lines.find((l) => l.message === 'in echo')?.meta).toMatchObject({ sdkComponent: 'nexus', service: 'svc', operation: 'echo', taskQueue: 'tq', header: 't1' });
  });

  it('an OperationError is a completed start with a failure; older servers get the operationError shape', async () => {
    for (const temporalFailures of [true, false]) {
      const { calls, deps } = setup();
      expect(await new NexusTask(startTask('fail', { temporalFailures }), deps).run()).toBe('operationError');
      const start = (calls[0]!.request.response as temporal.api.nexus.v1.IResponse).startOperation!;
      if (temporalFailures) expect(start.failure).toMatchObject({ message: 'no luck', applicationFailureInfo: { type: 'OperationError', nonRetryable: true } });
      else expect(start.operationError).toMatchObject({ operationState: 'failed', failure: { message: 'no luck', metadata: { type: 'temporal.api.failure.v1.Failure' } } });
    }
  });

  it('an unknown service is a NOT_FOUND HandlerError, answered with RespondNexusTaskFailed in either shape', async () => {
    for (const temporalFailures of [true, false]) {
      const { calls, deps } = setup();
      expect(await new NexusTask(startTask('echo', { temporalFailures, svc: 'nope' }), deps).run()).toBe('handlerError');
      expect(calls[0]!.method).toBe('respondNexusTaskFailed');
      const r = calls[0]!.request;
      if (temporalFailures) expect(r.failure).toMatchObject({ nexusHandlerFailureInfo: { type: 'NOT_FOUND' } });
      else expect(r.error).toMatchObject({ errorType: 'NOT_FOUND', failure: { message: "No service handler registered for service name 'nope'" } });
    }
  });

  it('cancel() aborts the handler’s signal with a CancelledFailure; the task is still answered', async () => {
    const { calls, deps } = setup();
    const task = new NexusTask(startTask('slow'), deps);
    const run = task.run();
    await new Promise((r) => setTimeout(r, 10));
    task.cancel('WORKER_SHUTDOWN');
    expect(await run).toBe('handlerError');
    expect(calls[0]!.request.failure).toMatchObject({ nexusHandlerFailureInfo: { type: 'INTERNAL' }, cause: { message: 'WORKER_SHUTDOWN', canceledFailureInfo: {} } });
  });

  it('a Request-Timeout header cancels the handler when it elapses', async () => {
    const { calls, deps } = setup();
    expect(await new NexusTask(startTask('slow', { header: { 'Request-Timeout': '30ms' } }), deps).run()).toBe('handlerError');
    expect(calls[0]!.request.failure).toMatchObject({ cause: { message: 'TIMED_OUT' } });
  });

  it('inbound interceptors wrap the start in order; outbound ones add log attributes', async () => {
    const order: string[] = [];
    const tag = (name: string): NexusInterceptorsFactory => () => ({
      inbound: { startOperation: async (i, next) => (order.push(name), next({ ...i, input: `${String(i.input)}+${name}` })) },
      outbound: { getLogAttributes: (a, next) => next({ ...a, [name]: true }) },
    });
    const { calls, lines, deps } = setup([tag('a'), tag('b')]);
    await new NexusTask(startTask('echo'), deps).run();
    expect(order).toEqual(['a', 'b']);
    const payload = (calls[0]!.request.response as temporal.api.nexus.v1.IResponse).startOperation!.syncSuccess!.payload!;
    expect(defaultDataConverter.payloadConverter.fromPayload(payload)).toBe('hi+a+b on tq');
    expect(lines.find((l) => l.message === 'in echo')?.meta).toMatchObject({ a: true, b: true });
  });

  it('an interceptor factory that throws is answered as a HandlerError, not left to time out', async () => {
    const { calls, deps } = setup([() => { throw new Error('factory broke'); }]);
    expect(await new NexusTask(startTask('echo'), deps).run()).toBe('handlerError');
    expect(calls[0]!.request.failure).toMatchObject({ nexusHandlerFailureInfo: { type: 'INTERNAL' }, cause: { message: 'factory broke' } });
  });
});

describe('Nexus conversions', () => {
  it('reads Request-Timeout as a Go duration', () => {
    expect(parseRequestTimeout('10m')).toBe(600_000);
    expect(parseRequestTimeout('1m30.5s')).toBe(90_500);
    expect(parseRequestTimeout('9.5ms')).toBe(9.5);
    expect(parseRequestTimeout('88.458µs')).toBeCloseTo(0.088458);
    expect(parseRequestTimeout('-1m')).toBe(0);
    expect(parseRequestTimeout('0')).toBe(0);
    expect(parseRequestTimeout('ten seconds')).toBeUndefined();
    expect(parseRequestTimeout(undefined)).toBeUndefined();
  });

  it('makes a HandlerError of what a handler threw, as the official worker does', () => {
    expect(toHandlerError(new Error('x'))).toMatchObject({ type: 'INTERNAL', retryable: true });
    expect(toHandlerError(ApplicationFailure.nonRetryable('x'))).toMatchObject({ type: 'INTERNAL', retryable: false });
    const grpcError = (code: number) => new ServiceError('call failed', { cause: Object.assign(new Error('grpc'), { code, details: '', metadata: new grpc.Metadata() }) });
    expect(toHandlerError(grpcError(grpc.status.INVALID_ARGUMENT)).type).toBe('BAD_REQUEST');
    expect(toHandlerError(grpcError(grpc.status.ALREADY_EXISTS))).toMatchObject({ type: 'INTERNAL', retryable: false });
    expect(toHandlerError(grpcError(grpc.status.UNAVAILABLE)).type).toBe('UNAVAILABLE');
    expect(toHandlerError(grpcError(grpc.status.DEADLINE_EXCEEDED)).type).toBe('UPSTREAM_TIMEOUT');
  });

  it('packs a Temporal failure into the older Nexus failure shape', () => {
    const f = toNexusFailure({ message: 'm', stackTrace: 's', applicationFailureInfo: { type: 'T' } });
    expect(f).toMatchObject({ message: 'm', stackTrace: 's', metadata: { type: 'temporal.api.failure.v1.Failure' } });
    expect(JSON.parse(Buffer.from(f.details!).toString())).toEqual({ stackTrace: 's', applicationFailureInfo: { type: 'T' } });
  });
});

describe('Nexus options', () => {
  it('the official option names map onto the entity, with the official defaults', () => {
    const factory: NexusInterceptorsFactory = () => ({});
    const t = translateWorkerOptions({ taskQueue: 'q', nexusServices: [handler], maxConcurrentNexusTaskExecutions: 5, maxConcurrentNexusTaskPolls: 2, interceptors: { nexus: [factory] } });
    expect(t.entity).toMatchObject({ nexusServices: [handler], maxConcurrentNexusTaskExecutions: 5, maxConcurrentNexusTaskPolls: 2 });
    expect(t.nexusInterceptors).toEqual([factory]);
    const entity = new WorkerEntity({ taskQueue: 'q', nexusServices: [handler] }, { connection: { namespace: 'ns', options: {} } as unknown as Connection });
    expect(entity.options).toMatchObject({ maxConcurrentNexusTaskExecutions: 100, maxConcurrentNexusTaskPolls: 10 });
  });

  it('refuses a service registered twice, and what is not a service handler', () => {
    const connection = { namespace: 'ns', options: {} } as unknown as Connection;
    expect(() => new WorkerEntity({ taskQueue: 'q', nexusServices: [handler, handler] }, { connection })).toThrow(/same Nexus service twice/);
    expect(() => new WorkerEntity({ taskQueue: 'q', nexusServices: [{}] as never }, { connection })).toThrow(/must be a Nexus service handler/);
  });
});
