import { expect, it } from 'vitest';
import { testRuntime } from '../../helpers/runtime.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { officialClient, uniqueTaskQueue } from '../../helpers/temporal.js';

it('the runtime builds its sandbox from its options (context-per-run isolation, one thread)', async () => {
  const runtime = await testRuntime({ sandbox: { isolation: 'context-per-run', threads: 1, deadlockTimeoutMs: 5_000 } });
  const { client, close } = await officialClient();
  try {
    const taskQueue = uniqueTaskQueue('rt-sandbox');
    await runtime.addWorker({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: { greet: async (n: string) => `Hello, ${n}!` } });
    expect(await client.workflow.execute('hello', { taskQueue, workflowId: taskQueue, args: ['isolated'] })).toBe('Hello, isolated!');
    expect(await runtime.sandboxSettings()).toMatchObject({ isolation: 'context-per-run', threads: 1, deadlockTimeoutMs: 5_000, maxOldGenerationSizeMb: 512 });
  } finally {
    await runtime.shutdown({ graceMs: 0 });
    await close();
  }
});
