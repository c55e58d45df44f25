/**
 * `Context.current().client` is made when an activity first reads it (core/activity/context-client.ts):
 * a worker whose activities never read it loads neither `@temporalio/client` nor grpc-js, nor the
 * full `@temporalio/proto` (the runtime's own code uses a subset, core/connection/proto.ts). Once
 * made it is one object per entity, and in the activity that made it as in later ones its calls
 * end when the activity is cancelled, as `withAbortSignal` makes them in the official worker.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { pluginFixtures, repoRoot, testRuntime } from '../../helpers/runtime.js';
import { officialClient, temporalAddress, uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';

const server = useServer();

describe('the activity client, made on first read', () => {
  it('is one object per entity; its calls end when the activity is cancelled, in the activity that made it and in later ones', async () => {
    const clients: Client[] = [];
    const callErrors: string[] = [];
    const activities = {
      /** Waits on its own workflow's result through the client: only a cancelled call can end that. */
      async awaitOwnWorkflow(): Promise<string> {
        const ctx = Context.current();
        const { client } = ctx;
        clients.push(client, Context.current().client);
        const beat = setInterval(() => ctx.heartbeat(), 200);
        try {
          await client.workflow.getHandle(ctx.info.workflowExecution!.workflowId).result();
          return 'workflow ended';
        } catch (err) {
          callErrors.push((err as Error).name);
          throw err;
        } finally {
          clearInterval(beat);
        }
      },
    };
    const runtime = await testRuntime({ sandbox: { threads: 1 } });
    const taskQueue = uniqueTaskQueue('lazy-client');
    try {
      await runtime.addWorker({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities });
      for (const round of [1, 2]) {
        const result = await server.client.workflow.execute('cancelActivityAfter', { taskQueue, workflowId: `${taskQueue}-${round}`, args: ['awaitOwnWorkflow', 1_500] });
        expect(result).toMatchObject({ cancelled: true });
        expect(callErrors).toHaveLength(round);
      }
      expect(clients).toHaveLength(4);
      expect(new Set(clients).size).toBe(1);
    } finally {
      await runtime.shutdown({ graceMs: 5_000 });
    }
  });

  it('a worker process whose activities never read it loads neither @temporalio/client nor grpc-js, nor the full @temporalio/proto', async () => {
    const taskQueue = uniqueTaskQueue('lazy-client-cli');
    const dir = mkdtempSync(path.join(tmpdir(), 'tempo-lazy-client-'));
    const config = path.join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ moduleRoots: [path.dirname(pluginFixtures)], plugins: [{ module: path.join(pluginFixtures, 'loaded-modules.ts') }], workers: [{ taskQueue, activityPlugins: ['modules'], workflowsPath: fixtureWorkflowsPath }] }),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start', '--config', config, '--port', '0'], {
      cwd: repoRoot,
      // The default transport, also when the suite runs on grpc-js (TEMPO_GRPC_TRANSPORT=grpc-js), which loads it by design.
      env: { ...process.env, TEMPO_GRPC_TRANSPORT: 'http2', TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_WORKER_LOG_LEVEL: 'WARN', XDG_RUNTIME_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const { client, close } = await officialClient();
    try {
      const run = (activity: string, id: string) => client.workflow.execute('callActivity', { taskQueue, workflowId: `${taskQueue}-${id}`, args: [activity, []] });
      expect(await run('loadedModules', 'before')).toEqual({ client: false, grpcJs: false, fullProto: false });
      expect(await run('touchClient', 'touch')).toEqual({ client: true, grpcJs: true, fullProto: true, namespace: 'default' });
    } finally {
      child.kill('SIGTERM');
      await waitFor(() => child.exitCode !== null || child.signalCode !== null, 20_000, `the CLI to exit (stderr: ${stderr})`).catch(() => child.kill('SIGKILL'));
      await close();
    }
  });
});
