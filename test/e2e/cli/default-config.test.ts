/**
 * What `npm start` runs without --config (cli/config.ts defaultConfig): the example plugin and
 * workflows of examples/hello plus the built-in plugins, on our runtime against the real server.
 * The queue is renamed so the test owns it; everything else is the default config as shipped.
 */
import { expect, it } from 'vitest';
import { defaultConfig } from '../../../cli/config.js';
import { createControlApi } from '../../../control-api/app.js';
import { testRuntime } from '../../helpers/runtime.js';
import { officialClient, uniqueTaskQueue } from '../../helpers/temporal.js';

it("npm start's default config: the example worker runs the hello workflow and metrics are served", async () => {
  const { config, baseDir } = defaultConfig();
  const runtime = await testRuntime({ plugins: config.plugins, baseDir });
  const { client, close } = await officialClient();
  try {
    expect(runtime.listPlugins().failures ?? []).toEqual([]);
    const [hello] = config.workers!;
    const taskQueue = uniqueTaskQueue('default-config');
    const w = await runtime.addWorker({ ...hello!, id: undefined, taskQueue });
    expect(w.workflowSide).toBe('entity');
    expect(await client.workflow.execute('hello', { taskQueue, workflowId: taskQueue, args: ['World'] })).toBe('Hello, World!');
    const metrics = await (await createControlApi(runtime).request('/metrics')).text();
    expect(metrics).toContain(`temporal_activity_execution_latency_count{service_name="temporal-core-sdk",namespace="default",task_queue="${taskQueue}"`);
  } finally {
    await runtime.shutdown({ graceMs: 0 });
    await close();
  }
});
