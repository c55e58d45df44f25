import { describe, expect, it } from 'vitest';
import { translateWorkerOptions, WorkerOptionUnsupportedError } from '../../../compat/worker-options.js';

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

  it('refuses an official option it cannot honour, by name', () => {
    expect(() => translateWorkerOptions({ taskQueue: 'q', maxTaskQueueActivitiesPerSecond: 5 })).toThrow(WorkerOptionUnsupportedError);
    expect(() => translateWorkerOptions({ taskQueue: 'q', maxTaskQueueActivitiesPerSecond: 5 })).toThrow(/WorkerOptions\.maxTaskQueueActivitiesPerSecond/);
  });
});
