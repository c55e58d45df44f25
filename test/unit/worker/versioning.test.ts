import { describe, expect, it } from 'vitest';
import { temporal } from '../../../core/connection/proto.js';
import { WorkerVersioning } from '../../../core/worker/versioning.js';
import { workerEntityInputSchema } from '../../../core/worker/worker-entity-options.js';

const { VersioningBehavior, WorkerVersioningMode } = temporal.api.enums.v1;
const deployment = { version: { deploymentName: 'd', buildId: 'b1' }, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' as const };

describe('versioning options', () => {
  it('refuses what the official worker refuses', () => {
    expect(workerEntityInputSchema.safeParse({ taskQueue: 'q', useVersioning: true }).success).toBe(false);
    expect(workerEntityInputSchema.safeParse({ taskQueue: 'q', useVersioning: true, buildId: 'b' }).success).toBe(true);
    expect(workerEntityInputSchema.safeParse({ taskQueue: 'q', workerDeploymentOptions: { ...deployment, defaultVersioningBehavior: undefined } }).success).toBe(false);
    expect(workerEntityInputSchema.safeParse({ taskQueue: 'q', workerDeploymentOptions: { ...deployment, useWorkerVersioning: false } }).success).toBe(false);
    expect(workerEntityInputSchema.safeParse({ taskQueue: 'q', workerDeploymentOptions: deployment }).success).toBe(true);
  });

  it('builds poll and answer fields as sdk-core does', () => {
    const v = new WorkerVersioning({ useVersioning: false, workerDeploymentOptions: deployment }, true);
    expect(v.pollFields()).toEqual({
      binaryChecksum: '',
      workerVersionCapabilities: { buildId: 'b1', useVersioning: false },
      deploymentOptions: { deploymentName: 'd', buildId: 'b1', workerVersioningMode: WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED },
    });
    // The workflow's own behaviour wins over the worker default.
    expect(v.completionFields(VersioningBehavior.VERSIONING_BEHAVIOR_PINNED).versioningBehavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
    expect(v.completionFields(undefined).versioningBehavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE);
    expect(v.needsOwnStickyQueue).toBe(true);
    const legacy = new WorkerVersioning({ buildId: 'old', useVersioning: true }, false);
    expect(legacy.pollFields()).toEqual({ binaryChecksum: 'old', workerVersionCapabilities: undefined, deploymentOptions: undefined });
    const plain = new WorkerVersioning({ buildId: 'x', useVersioning: false }, true);
    expect(plain.completionFields(undefined)).toMatchObject({ workerVersionStamp: { buildId: 'x', useVersioning: false }, versioningBehavior: VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED });
    // The server refuses a behaviour from a worker that is not VERSIONED: a PINNED workflow runs unversioned there.
    expect(plain.completionFields(VersioningBehavior.VERSIONING_BEHAVIOR_PINNED).versioningBehavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED);
    expect(plain.needsOwnStickyQueue).toBe(false);
  });
});
