import { expect, it } from 'vitest';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { uniqueTaskQueue, useServer } from '../../helpers/temporal.js';

const server = useServer();

it('a query sent while a workflow task runs comes attached to the next task and is answered with it', async () => {
  const taskQueue = uniqueTaskQueue('attached');
  // A generous deadlock timeout: the busy task must stay a busy task on a loaded machine.
  const sandbox = await WorkflowSandbox.create({ threads: 1, deadlockTimeoutMs: 15_000 });
  const entity = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath }, { connection: server.connection, sandbox });
  await entity.start();
  try {
    const h = await server.client.workflow.start('busyOnSignal', { taskQueue, workflowId: taskQueue });
    expect(await h.query('handled')).toBe(0);
    // The first signal keeps its task busy for a few hundred ms. A second signal meanwhile makes
    // the server schedule another task as soon as that one completes, and a query sent meanwhile
    // is buffered and delivered attached to that next task rather than as a query-only task.
    await h.signal('work', 400_000_000);
    await new Promise((r) => setTimeout(r, 100));
    await h.signal('work', 1);
    expect(await h.query<number>('handled')).toBeGreaterThanOrEqual(1);
    await h.signal('finish');
    expect(await h.result()).toBe(2);
    expect(entity.status().workflow?.attachedQueries).toBeGreaterThan(0);
  } finally {
    await entity.close();
    await sandbox.close();
  }
});
