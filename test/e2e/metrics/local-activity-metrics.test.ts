/**
 * sdk-core's local activity metrics (`temporal_local_activity_*`), ours against the official
 * worker's own Prometheus exporter on the real server: the same local-activity workflows run on
 * each, and every counter and histogram count (by activity type, workflow type and
 * failure_reason) must match. Latency sums differ by timing and are not compared.
 */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime as OfficialRuntime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlApi } from '../../../control-api/app.js';
import type { Runtime } from '../../../core/runtime/runtime.js';
import { localActivities, running } from '../../fixtures/workflows/workflow-api/local-activities-activities.js';
import { testRuntime } from '../../helpers/runtime.js';
import { officialClient, temporalAddress, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

const workflowsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/workflow-api/local-activities.ts');

let runtime: Runtime;
let app: ReturnType<typeof createControlApi>;
let client: Client;
let closeClient: () => Promise<void>;
let officialMetricsUrl: string;

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  runtime = await testRuntime({ plugins: [{ module: 'builtin:prometheus' }] });
  app = createControlApi(runtime, { token: 'la-metrics-token-0123456789' });
  const port = await freePort();
  OfficialRuntime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } } });
  officialMetricsUrl = `http://127.0.0.1:${port}/metrics`;
});
afterAll(async () => {
  await runtime?.shutdown({ graceMs: 0 });
  await closeClient?.();
});

/** The local activity metric lines of one task queue: `name{labels}` (namespace, service and queue left out) → value. */
function localActivityCounts(text: string, taskQueue: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(temporal_local_activity_[a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1]!.endsWith('_bucket') || m[1]!.endsWith('_sum')) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (labels.task_queue !== taskQueue) continue;
    const kept = Object.entries(labels)
      .filter(([k]) => !['namespace', 'service_name', 'task_queue'].includes(k))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`);
    out[`${m[1]}{${kept.join(',')}}`] = Number(m[3]);
  }
  return out;
}

/** Runs every scenario on `taskQueue`: success, retries, exhausted retries, both timeouts, a timer backoff, cancellations. */
async function runScenarios(taskQueue: string): Promise<void> {
  const runs: Array<[string, unknown[]]> = [
    ['laSimple', ['metrics']],
    ['laRetryThenSuccess', []],
    ['laExhaustsRetries', []],
    ['laStartToCloseTimeout', []],
    ['laScheduleToCloseTimeout', []],
    ['laLongBackoff', []],
    ['laCancelledBeforeStart', ['TRY_CANCEL']],
  ];
  await Promise.all(runs.map(([type, args]) => client.workflow.execute(type, { taskQueue, workflowId: `${taskQueue}-${type}`, args })));
  const workflowId = `${taskQueue}-cancelled`;
  const handle = await client.workflow.start('laCancelledWithWorkflow', { taskQueue, workflowId, args: ['TRY_CANCEL'] });
  await waitFor(() => running.has(workflowId), 20_000, 'the local activity running');
  await handle.cancel();
  await handle.result().catch(() => undefined);
}

describe('local activity metrics with sdk-core semantics', () => {
  it('count every attempt that ran, with how it ended, as the official worker counts them', async () => {
    const oursQueue = uniqueTaskQueue('la-metrics-ours');
    const officialQueue = uniqueTaskQueue('la-metrics-official');
    const w = await runtime.addWorker({ taskQueue: oursQueue, workflowsPath, activities: localActivities });
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const official = await Worker.create({ connection, taskQueue: officialQueue, workflowsPath, activities: localActivities });
    try {
      await official.runUntil(() => runScenarios(officialQueue));
      await runScenarios(oursQueue);
      const expected = localActivityCounts(await (await fetch(officialMetricsUrl)).text(), officialQueue);
      // The cancelled attempt is counted when its function returns, after the workflow ended.
      const cancelledKey = 'temporal_local_activity_execution_cancelled{activity_type=untilCancelled,workflow_type=laCancelledWithWorkflow}';
      let ours: Record<string, number> = {};
      await waitFor(async () => {
        ours = localActivityCounts(await (await app.request('/metrics')).text(), oursQueue);
        return ours[cancelledKey] === expected[cancelledKey];
      }, 15_000, 'the cancelled attempt counted');
      // What the official worker counted for these scenarios, so the comparison is not empty.
      expect(expected).toMatchObject({
        'temporal_local_activity_total{activity_type=flaky,workflow_type=laRetryThenSuccess}': 3,
        'temporal_local_activity_execution_failed{activity_type=alwaysFails,failure_reason=ActivityError,workflow_type=laExhaustsRetries}': 3,
        'temporal_local_activity_execution_failed{activity_type=sleepy,failure_reason=timeout,workflow_type=laStartToCloseTimeout}': 2,
        'temporal_local_activity_succeed_endtoend_latency_count{activity_type=flaky,workflow_type=laLongBackoff}': 1,
        [cancelledKey]: 1,
      });
      expect(ours).toEqual(expected);
    } finally {
      await connection.close();
      await runtime.remove(w.id);
    }
  }, 90_000);
});
