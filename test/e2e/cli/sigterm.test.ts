/**
 * The CLI in a child process: SIGTERM while activities are in flight drains them, exits 0, and
 * loses nothing (what it never took is finished by another worker afterwards).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startOfficialWorker } from '../../helpers/official-worker.js';
import { pluginFixtures, testRuntime, json } from '../../helpers/runtime.js';
import { officialClient, temporalAddress, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('tempo-worker start', () => {
  it('SIGTERM with workflows in flight: drains, exits 0, nothing lost', async () => {
    const taskQueue = uniqueTaskQueue('cli-sigterm');
    const dir = mkdtempSync(path.join(tmpdir(), 'tempo-cli-'));
    const config = path.join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        drainGraceMs: 20_000,
        moduleRoots: [pluginFixtures],
        plugins: [{ module: path.join(pluginFixtures, 'slow-activities.ts') }, { module: 'builtin:prometheus' }],
        workers: [{ id: 'sig', taskQueue, activityPlugins: ['slow'], limits: { maxConcurrentActivityTaskExecutions: 10 } }],
      }),
    );
    const official = await startOfficialWorker(taskQueue);
    const { client, close } = await officialClient();
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start', '--config', config, '--port', '0'], {
      cwd: root,
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_WORKER_LOG_LEVEL: 'WARN', XDG_RUNTIME_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    try {
      await waitFor(() => /Control API: (http:\/\/\S+)/.test(stdout) || child.exitCode !== null, 30_000, `the CLI to start (stderr: ${stderr})`);
      const url = /Control API: (http:\/\/\S+)/.exec(stdout)![1]!;
      const handles = await Promise.all(
        [...Array(15)].map((_, i) => client.workflow.start('callActivity', { taskQueue, workflowId: `${taskQueue}-${i}`, args: ['slow', [1_500], { startToCloseTimeout: '60s' }] })),
      );
      const used = async () => (await json(await fetch(`${url}/workers/sig`))).slots.activity.used as number;
      await waitFor(async () => (await used()) === 10, 20_000, 'ten activities in flight in the CLI');

      const signalled = performance.now();
      child.kill('SIGTERM');
      const { code } = await exited;
      const exitMs = performance.now() - signalled;
      expect(code, stderr).toBe(0);
      expect(exitMs).toBeLessThan(10_000);

      // The five never taken are still on the server: another worker finishes them.
      const rest = await testRuntime({ plugins: [{ module: './slow-activities.ts' }] });
      try {
        await rest.addWorker({ taskQueue, activityPlugins: ['slow'] });
        const results = await Promise.all(handles.map((h) => h.result()));
        expect(results).toEqual([...Array(15)].map(() => ({ attempt: 1 })));
        expect(rest.list()[0]!.tasks.activity.completed).toBe(5);
      } finally {
        await rest.shutdown({ graceMs: 0 });
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await close();
      await official.stop();
    }
  });
});
