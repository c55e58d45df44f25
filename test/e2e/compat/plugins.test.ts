/** Official worker plugins (`@temporalio/plugin`'s SimplePlugin) work unchanged on the drop-in Worker. */
import { SimplePlugin } from '@temporalio/plugin';
import { describe, expect, it } from 'vitest';
import { NativeConnection, Worker } from '../../../compat/index.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { temporalAddress, uniqueTaskQueue, useServer } from '../../helpers/temporal.js';

const server = useServer();

describe('SimplePlugin on the drop-in Worker', () => {
  it('adds activities and an activity interceptor, and wraps the run', async () => {
    const seen: string[] = [];
    const plugin = new SimplePlugin({
      name: 'greetings',
      activities: { greet: async (name: string) => `Hi, ${name}!` },
      workerInterceptors: {
        activity: [
          (ctx) => ({
            inbound: {
              async execute(input, next) {
                seen.push(`${ctx.info.activityType}(${String(input.args[0])})`);
                return `${String(await next(input))} (intercepted)`;
              },
            },
          }),
        ],
      },
      runContext: async (next) => {
        seen.push('run:start');
        await next();
        seen.push('run:end');
      },
    });
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const taskQueue = uniqueTaskQueue('plugin');
    try {
      const worker = await Worker.create({ connection, taskQueue, workflowsPath: fixtureWorkflowsPath, plugins: [plugin] });
      const result = await worker.runUntil(server.client.workflow.execute('hello', { taskQueue, workflowId: taskQueue, args: ['Plugin'] }));
      expect(result).toBe('Hi, Plugin! (intercepted)');
    } finally {
      await connection.close();
    }
    expect(seen).toEqual(['run:start', 'greet(Plugin)', 'run:end']);
  });
});
