/**
 * SIGTERM with an activity that never settles and ignores its cancellation: the CLI exits 0 within
 * grace + the default force time, after its shutdown has finished, and the activity's task was
 * answered as WorkerShutdown, so its retry runs on the next worker at once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { shutdownDefaults } from '../../../core/worker/shutdown-options.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { testRuntime } from '../../helpers/runtime.js';
import { temporalAddress, uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const stubbornPlugin = path.join(here, 'fixtures/stubborn-activities.ts');
const server = useServer();
const { EventType, PendingActivityState } = temporal.api.enums.v1;

describe('tempo-worker start, SIGTERM', () => {
  it('a never-settling activity: exit 0 within grace + force time; the task was answered WorkerShutdown', async () => {
    const taskQueue = uniqueTaskQueue('sigterm-force');
    const graceMs = 500;
    const dir = mkdtempSync(path.join(tmpdir(), 'tempo-sigterm-'));
    const config = path.join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        drainGraceMs: graceMs,
        api: { enabled: false },
        moduleRoots: [root],
        plugins: [{ module: stubbornPlugin }],
        workers: [{ id: 'sig', taskQueue, activityPlugins: ['stubborn'], workflowsPath: fixtureWorkflowsPath }],
      }),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start', '--config', config], {
      cwd: root,
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_WORKER_LOG_LEVEL: 'WARN', XDG_RUNTIME_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const workflowId = `${taskQueue}-wf`;
    try {
      const handle = await server.client.workflow.start('callActivity', {
        taskQueue,
        workflowId,
        args: ['stubborn', [], { startToCloseTimeout: '5m', retry: { initialInterval: '100ms' } }],
      });
      await waitFor(async () => (await handle.describe()).raw.pendingActivities?.[0]?.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED, 60_000, `the activity to start in the CLI (stderr: ${stderr})`);
      const t0 = performance.now();
      child.kill('SIGTERM');
      const code = await exited;
      const exitMs = performance.now() - t0;
      console.log(`[lifecycle] SIGTERM with a never-settling activity: exit ${code} after ${exitMs.toFixed(0)} ms (grace ${graceMs} + force ${shutdownDefaults.shutdownForceTimeMs})`);
      expect(code, stderr).toBe(0);
      expect(exitMs).toBeLessThan(graceMs + shutdownDefaults.shutdownForceTimeMs + 4_000);
      expect(stderr).toMatch(/answering them as WorkerShutdown/);

      const rest = await testRuntime({ plugins: [{ module: stubbornPlugin }] });
      try {
        await rest.addWorker({ taskQueue, activityPlugins: ['stubborn'], workflowsPath: fixtureWorkflowsPath });
        expect(await handle.result()).toEqual({ attempt: 2 });
      } finally {
        await rest.shutdown({ graceMs: 0 });
      }
      const { events } = await handle.fetchHistory();
      const started = events!.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED).at(-1)!.activityTaskStartedEventAttributes!;
      expect(started.lastFailure?.applicationFailureInfo?.type).toBe('WorkerShutdown');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
