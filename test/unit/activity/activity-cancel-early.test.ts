import { defaultDataConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ActivityExecution, type ActivityExecutionDeps } from '../../../core/activity/activity-execution.js';
import { heartbeatThrottleDefaults } from '../../../core/activity/heartbeat-throttle.js';
import { silentLogger } from '../../helpers/runtime.js';

describe('ActivityExecution.cancel', () => {
  // A drain can cancel an execution the moment its task arrives, before run() has decoded it.
  it('before run() has set up the activity: no throw, and the cancellation is kept', () => {
    const deps = {
      namespace: 'default',
      taskQueue: 'tq',
      identity: 'test',
      activities: new Map(),
      dataConverter: defaultDataConverter,
      throttle: heartbeatThrottleDefaults,
      logger: silentLogger,
    } as unknown as ActivityExecutionDeps; // no connection: nothing here may call the server
    const ex = new ActivityExecution({ taskToken: new Uint8Array([1]), activityId: 'a1' }, deps);
    expect(() => ex.cancel('WORKER_SHUTDOWN')).not.toThrow();
    expect(() => ex.cancel('CANCELLED')).not.toThrow();
  });
});
