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

describe('default build id', () => {
  it('names this package as package.json does, plus the bundle hash', async () => {
    const { defaultBuildId, RUNTIME_PACKAGE } = await import('../../../core/worker/default-build-id.js');
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../../../package.json') as { name: string; version: string };
    expect(RUNTIME_PACKAGE).toEqual({ name: pkg.name, version: pkg.version });
    expect(defaultBuildId()).toBe(`${pkg.name}@${pkg.version}`);
    expect(defaultBuildId('code')).toMatch(new RegExp(`^${pkg.name}@${pkg.version.replace(/\./g, '\\.')}\\+[0-9a-f]{64}$`));
    expect(defaultBuildId('code')).not.toBe(defaultBuildId('other code'));
  });

  it('applies only when none is configured, and is the version a new task sees', () => {
    const plain = new WorkerVersioning({ useVersioning: false }, true);
    expect(plain.currentVersion()).toBeUndefined();
    plain.useDefaultBuildId('pkg@1+abc');
    expect(plain.currentVersion()).toEqual({ deploymentName: '', buildId: 'pkg@1+abc' });
    expect(plain.pollFields().workerVersionCapabilities).toEqual({ buildId: 'pkg@1+abc', useVersioning: false });
    const given = new WorkerVersioning({ useVersioning: false, buildId: 'mine' }, true);
    given.useDefaultBuildId('pkg@1+abc');
    expect(given.currentVersion()).toEqual({ deploymentName: '', buildId: 'mine' });
    const deployed = new WorkerVersioning({ useVersioning: false, workerDeploymentOptions: deployment }, true);
    deployed.useDefaultBuildId('pkg@1+abc');
    expect(deployed.currentVersion()).toEqual({ deploymentName: 'd', buildId: 'b1' });
  });
});
