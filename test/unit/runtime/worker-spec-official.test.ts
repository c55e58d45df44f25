import { describe, expect, it } from 'vitest';
import { cliConfigSchema } from '../../../cli/config.js';
import { createWorkerBody } from '../../../control-api/schemas.js';
import { officialEntityInput, workerSpecSchema } from '../../../core/runtime/worker-spec.js';
import { workerEntityInputSchema } from '../../../core/worker/worker-entity-options.js';

const official = {
  taskQueue: 'q',
  shutdownGraceTime: '30s',
  shutdownForceTime: 2_000,
  stickyQueueScheduleToStartTimeout: '5s',
  maxHeartbeatThrottleInterval: '1m',
  workerDeploymentOptions: { version: { deploymentName: 'shop', buildId: 'v2' }, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' },
  enableNonLocalActivities: false,
  maxActivitiesPerSecond: 5,
  maxTaskQueueActivitiesPerSecond: 50,
  tuner: { workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 8 } },
};

describe('official option names in the JSON worker spec', () => {
  it('POST /workers and the config file take them; the entity gets them in its own units', () => {
    const spec = createWorkerBody.parse(official);
    const input = { taskQueue: 'q', ...officialEntityInput(spec) };
    expect(input).toMatchObject({ shutdownGraceTime: '30s', stickyQueueScheduleToStartTimeoutMs: 5_000, maxHeartbeatThrottleIntervalMs: 60_000, enableNonLocalActivities: false });
    expect(workerEntityInputSchema.safeParse(input).success).toBe(true);
    expect(cliConfigSchema.safeParse({ shutdownGraceTime: '10s', shutdownForceTime: '2s', workers: [official] }).success).toBe(true);
  });

  it('refuses a bad duration, a resource-based tuner and code-valued options', () => {
    expect(workerSpecSchema.safeParse({ taskQueue: 'q', shutdownGraceTime: 'soon' }).success).toBe(false);
    expect(workerSpecSchema.safeParse({ taskQueue: 'q', tuner: { tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 } } }).success).toBe(false);
    expect(workerSpecSchema.safeParse({ taskQueue: 'q', sinks: {} }).success).toBe(false);
    expect(cliConfigSchema.safeParse({ shutdownGraceTime: 'later' }).success).toBe(false);
  });
});
