import { describe, expect, it } from 'vitest';
import { applyPlugins, translateWorkerOptions, WorkerOptionUnsupportedError } from '../../../compat/worker-options.js';

describe('translateWorkerOptions', () => {
  it('maps official names and durations onto the entity input', () => {
    const t = translateWorkerOptions({
      taskQueue: 'q',
      namespace: 'ns',
      activities: { a: async () => 1, notAFunction: 3 },
      stickyQueueScheduleToStartTimeout: '7s',
      shutdownGraceTime: 1500,
      shutdownForceTime: '3s',
      maxHeartbeatThrottleInterval: '1 minute',
      interceptors: { workflowModules: ['./i.js'] },
      maxCachedWorkflows: 0,
      debugMode: true,
    });
    expect(t.namespace).toBe('ns');
    expect(Object.keys(t.entity.activities ?? {})).toEqual(['a']);
    expect(t.entity).toMatchObject({ taskQueue: 'q', stickyQueueScheduleToStartTimeoutMs: 7000, shutdownGraceTime: 1500, shutdownForceTime: '3s', maxHeartbeatThrottleIntervalMs: 60_000, maxCachedWorkflows: 0, workflowInterceptorModules: ['./i.js'] });
  });

  it('passes dataConverter, bundlerOptions and workflowBundle; configureBundler sees ignoreModules and converter paths', async () => {
    const codec = { encode: async (p: never[]) => p, decode: async (p: never[]) => p };
    const t = translateWorkerOptions({ taskQueue: 'q', workflowBundle: { codePath: '/b.js' }, bundlerOptions: { ignoreModules: ['fs'] }, dataConverter: { payloadCodecs: [codec] } });
    expect(t.entity).toMatchObject({ workflowBundle: { codePath: '/b.js' }, bundlerOptions: { ignoreModules: ['fs'] }, dataConverter: { payloadCodecs: [codec] } });
    const seen: unknown[] = [];
    const plugin = { name: 'p', configureBundler: (b: Record<string, unknown>) => (seen.push(b), { ...b, ignoreModules: [...(b.ignoreModules as string[]), 'crypto'] }) };
    const configured = await applyPlugins({ taskQueue: 'q', workflowsPath: '/w.ts', bundlerOptions: { ignoreModules: ['fs'] }, dataConverter: { payloadConverterPath: '/pc.js' }, plugins: [plugin] });
    expect(seen).toEqual([{ workflowsPath: '/w.ts', workflowInterceptorModules: undefined, ignoreModules: ['fs'], payloadConverterPath: '/pc.js' }]);
    expect(configured).toMatchObject({ bundlerOptions: { ignoreModules: ['fs', 'crypto'] }, dataConverter: { payloadConverterPath: '/pc.js' } });
  });

  it('refuses an official option it cannot honour, by name', () => {
    expect(() => translateWorkerOptions({ taskQueue: 'q', patchActivationCallback: () => true })).toThrow(WorkerOptionUnsupportedError);
    expect(() => translateWorkerOptions({ taskQueue: 'q', patchActivationCallback: () => true })).toThrow(/WorkerOptions\.patchActivationCallback/);
  });
});

describe('translateWorkerOptions: the names that became real', () => {
  it('maps simple-maximum poller behaviours and local activity slots; refuses autoscaling', () => {
    const t = translateWorkerOptions({
      taskQueue: 'q',
      workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 4 },
      activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 3 },
      maxConcurrentLocalActivityExecutions: 7,
      maxActivitiesPerSecond: 5,
      maxTaskQueueActivitiesPerSecond: 50,
      enableNonLocalActivities: false,
      workerDeploymentOptions: { version: { deploymentName: 'd', buildId: 'b' }, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' },
      tuner: { workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 2 } },
    });
    expect(t.entity).toMatchObject({ maxConcurrentWorkflowTaskPolls: 4, maxConcurrentActivityTaskPolls: 3, maxConcurrentLocalActivityExecutions: 7, maxActivitiesPerSecond: 5, maxTaskQueueActivitiesPerSecond: 50, enableNonLocalActivities: false, tuner: { workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 2 } } });
    expect(() => translateWorkerOptions({ taskQueue: 'q', activityTaskPollerBehavior: { type: 'autoscaling', minimum: 1, maximum: 10, initial: 5 } })).toThrow(/activityTaskPollerBehavior\.type/);
    const resourceBased = { activityTaskSlotSupplier: { type: 'resource-based', tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 } } };
    // @ts-expect-error resource-based suppliers are not in the type either
    expect(() => translateWorkerOptions({ taskQueue: 'q', tuner: resourceBased })).toThrow(WorkerOptionUnsupportedError);
  });

  it('honours the deprecated interceptors.activityInbound and refuses unknown interceptor kinds', () => {
    const inbound = { execute: async (input: { args: unknown[] }, next: (i: never) => Promise<unknown>) => next(input as never) };
    const t = translateWorkerOptions({ taskQueue: 'q', interceptors: { activityInbound: [() => inbound] } });
    expect(t.activityInterceptors).toHaveLength(1);
    expect(t.activityInterceptors[0]!({} as never).inbound).toBe(inbound);
    expect(() => translateWorkerOptions({ taskQueue: 'q', interceptors: { somethingNew: [] } as never })).toThrow(/interceptors\.somethingNew/);
  });
});

describe('NativeConnection.connect and Worker.create connections', () => {
  it('refuses official NativeConnectionOptions it does not honour, by name, before connecting', async () => {
    const { NativeConnection } = await import('../../../compat/native-connection.js');
    await expect(NativeConnection.connect({ address: '127.0.0.1:1', grpcCompression: { type: 'gzip' } } as never)).rejects.toThrow(/NativeConnectionOptions\.grpcCompression is not supported/);
    await expect(NativeConnection.connect({ address: '127.0.0.1:1', plugins: [] } as never)).rejects.toThrow(WorkerOptionUnsupportedError);
  });

  it('refuses a connection that is not ours (an official NativeConnection), saying what to pass instead', async () => {
    const { Worker } = await import('../../../compat/worker.js');
    const official = { workflowService: {}, close: async () => undefined };
    await expect(Worker.create({ taskQueue: 'q', connection: official as never, activities: { a: async () => 1 } })).rejects.toThrow(/WorkerOptions\.connection.*NativeConnection\.connect/);
  });
});
