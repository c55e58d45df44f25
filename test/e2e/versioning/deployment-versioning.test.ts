/**
 * Worker Versioning, blue/green through a Worker Deployment: two build ids of one deployment,
 * the current version moved from v1 to v2 with the client's deployment API while two workflows
 * wait. The PINNED one must finish on v1, the AUTO_UPGRADE one on v2 — on the official worker
 * and on ours, with the same options object.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { WorkerOptions as OfficialWorkerOptions } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { NativeConnection, Worker } from '../../../compat/index.js';
import { temporal } from '../../../core/connection/proto.js';
import { startOfficialWorker } from '../../helpers/official-worker.js';
import { temporalAddress, uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const workflowsPath = path.resolve(here, '../../fixtures/versioning/workflows.ts');
const { VersioningBehavior, RoutingConfigUpdateState, EventType } = temporal.api.enums.v1;

interface Versioned {
  taskQueue: string;
  identity: string;
  deploymentName: string;
  buildId: string;
}
type StartWorker = (o: Versioned) => Promise<() => Promise<void>>;

/** The official option shape both workers get: deployment-based, AUTO_UPGRADE unless the workflow says otherwise. */
function versionedOptions(o: Versioned) {
  return {
    taskQueue: o.taskQueue,
    identity: o.identity,
    workerDeploymentOptions: { version: { deploymentName: o.deploymentName, buildId: o.buildId }, useWorkerVersioning: true as const, defaultVersioningBehavior: 'AUTO_UPGRADE' as const },
  };
}

const startOfficial: StartWorker = async (o) => (await startOfficialWorker(o.taskQueue, versionedOptions(o) as Partial<OfficialWorkerOptions>, workflowsPath)).stop;

const startOurs: StartWorker = async (o) => {
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const worker = await Worker.create({ connection, namespace: 'default', workflowsPath, ...versionedOptions(o) });
  const running = worker.run();
  return async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
  };
};

async function describeDeployment(client: Client, deploymentName: string) {
  try {
    const res = await client.workflowService.describeWorkerDeployment({ namespace: 'default', deploymentName });
    return res.workerDeploymentInfo ?? undefined;
  } catch {
    return undefined; // not created yet: the first versioned poll creates it
  }
}

/** Waits for the version's pollers to register it, then makes it current and waits for the routing to settle. */
async function makeCurrent(client: Client, deploymentName: string, buildId: string): Promise<void> {
  await waitFor(async () => ((await describeDeployment(client, deploymentName))?.versionSummaries ?? []).some((v) => v.deploymentVersion?.buildId === buildId), 30_000, `version ${buildId} registered`);
  await client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName, buildId, identity: 'versioning-test' });
  await waitFor(
    async () => {
      const info = await describeDeployment(client, deploymentName);
      return info?.routingConfig?.currentDeploymentVersion?.buildId === buildId && info.routingConfigUpdateState !== RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS;
    },
    // Propagation to the queue's partitions takes seconds on a loaded dev server.
    60_000,
    `version ${buildId} current`,
  );
}

/** Who completed each workflow task of the run, and the behaviour the server holds for it. */
async function whereItRan(client: Client, workflowId: string) {
  const handle = client.workflow.getHandle(workflowId);
  const history = await handle.fetchHistory();
  const completedBy = (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    .map((e) => `${e.workflowTaskCompletedEventAttributes?.identity}@${e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId ?? ''}`);
  const described = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
  return { completedBy, behavior: described.workflowExecutionInfo?.versioningInfo?.behavior };
}

async function blueGreen(client: Client, kind: string, start: StartWorker) {
  const taskQueue = uniqueTaskQueue(`versioning-${kind}`);
  const deploymentName = `deploy-${taskQueue}`;
  const stops: Array<() => Promise<void>> = [];
  try {
    stops.push(await start({ taskQueue, deploymentName, buildId: 'v1', identity: `${kind}-v1` }));
    await makeCurrent(client, deploymentName, 'v1');
    const pinned = await client.workflow.start('pinned', { taskQueue, workflowId: `${taskQueue}-pinned` });
    const upgrading = await client.workflow.start('autoUpgrade', { taskQueue, workflowId: `${taskQueue}-auto` });
    // Both have had their first task on v1 (and hold a behaviour) before v2 takes over.
    for (const id of [pinned.workflowId, upgrading.workflowId]) {
      await waitFor(async () => (await whereItRan(client, id)).completedBy.length === 1, 20_000, `first task of ${id}`);
    }
    stops.push(await start({ taskQueue, deploymentName, buildId: 'v2', identity: `${kind}-v2` }));
    await makeCurrent(client, deploymentName, 'v2');
    await pinned.signal('proceed');
    await upgrading.signal('proceed');
    const results = [await pinned.result(), await upgrading.result()];
    return { results, pinned: await whereItRan(client, pinned.workflowId), upgrading: await whereItRan(client, upgrading.workflowId) };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

describe('Worker Versioning through a Worker Deployment', () => {
  const server = useServer();

  for (const [kind, start] of [['official', startOfficial], ['ours', startOurs]] as const) {
    it(`${kind}: a PINNED workflow stays on v1, an AUTO_UPGRADE one moves to v2`, async () => {
      const run = await blueGreen(server.client, kind, start);
      expect(run.results).toEqual(['pinned', 'autoUpgrade']);
      expect(run.pinned.behavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
      expect(run.pinned.completedBy).toEqual([`${kind}-v1@v1`, `${kind}-v1@v1`]);
      expect(run.upgrading.behavior).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE);
      expect(run.upgrading.completedBy).toEqual([`${kind}-v1@v1`, `${kind}-v2@v2`]);
    }, 180_000);
  }

  it('ours: a PINNED workflow on an unversioned worker runs (the behaviour is not sent; the server would refuse it)', async () => {
    const taskQueue = uniqueTaskQueue('versioning-unversioned');
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const worker = await Worker.create({ connection, namespace: 'default', taskQueue, workflowsPath });
    const result = await worker.runUntil(async () => {
      const handle = await server.client.workflow.start('pinned', { taskQueue, workflowId: taskQueue });
      await handle.signal('proceed');
      return handle.result();
    });
    await connection.close();
    expect(result).toBe('pinned');
  }, 60_000);
});
