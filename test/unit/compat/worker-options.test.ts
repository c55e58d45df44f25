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
