/**
 * `nexusServices` in a worker spec given in-process (`runtime.addWorker`), as the official
 * `WorkerOptions.nexusServices`: one entity serves the service and runs the calling workflows on
 * the same task queue, against the real server's Nexus endpoint routing; the worker info lists
 * the service and counts its tasks; a spec with only Nexus services is accepted.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../core/errors.js';
import type { Runtime } from '../../../core/runtime/runtime.js';
import { testServiceHandler } from '../../fixtures/workflows/nexus/handlers.js';
import { testRuntime } from '../../helpers/runtime.js';
import { officialClient, uniqueTaskQueue } from '../../helpers/temporal.js';
import { createEndpoint, deleteEndpoint, uniqueEndpointName, type Endpoint } from '../nexus/nexus-endpoints.js';

const workflowsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/nexus/workflows.ts');

let runtime: Runtime;
let client: Client;
let closeClient: () => Promise<void>;
const endpoints: Endpoint[] = [];

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  runtime = await testRuntime();
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => deleteEndpoint(client, e)));
  await runtime?.shutdown({ graceMs: 0 });
  await closeClient?.();
});

describe('nexusServices in runtime.addWorker (real server)', () => {
  it('serves sync and async operations to workflows calling through an endpoint, and reports them', async () => {
    const taskQueue = uniqueTaskQueue('rt-nexus');
    const endpoint = await createEndpoint(client, uniqueEndpointName('rt'), taskQueue);
    endpoints.push(endpoint);
    const info = await runtime.addWorker({ taskQueue, workflowsPath, nexusServices: [testServiceHandler], limits: { maxConcurrentNexusTaskExecutions: 5 } });
    expect(info.nexusServices).toEqual([testServiceHandler.definition.name]);

    const sync = await client.workflow.execute('callsSync', { taskQueue, workflowId: `${taskQueue}-sync`, args: [endpoint.name] });
    expect(sync).toBe('echo: hi');
    const async = await client.workflow.execute('callsAsync', { taskQueue, workflowId: `${taskQueue}-async`, args: [endpoint.name, `${taskQueue}-async-run`] });
    expect(async).toEqual({ token: true, result: 'Hello, Nexus' });

    const after = runtime.get(info.id);
    // Two starts; the async operation completes through the server's callback, not a Nexus task.
    expect(after.tasks.nexus).toEqual({ completed: 2, operationError: 0, handlerError: 0 });
    expect(after.slots.nexus).toEqual({ used: 0, free: 5 });
  });

  it('accepts a worker with only Nexus services, and refuses one with nothing to run', async () => {
    const info = await runtime.addWorker({ taskQueue: uniqueTaskQueue('rt-nexus-only'), nexusServices: [testServiceHandler] });
    expect(info.state).toBe('RUNNING');
    expect(info.workflowSide).toBe('none');
    await runtime.remove(info.id, { graceMs: 0 });

    const refused = await runtime.addWorker({ taskQueue: uniqueTaskQueue('rt-nothing'), nexusServices: [] }).catch((e: unknown) => e);
    expect(hasErrorCode(refused, 'CONFIG_INVALID')).toBe(true);
    expect(String(refused)).toMatch(/nothing to run.*nexusServices/);
  });

  it('refuses a value that is not a service handler, naming the field', async () => {
    const refused = await runtime.addWorker({ taskQueue: uniqueTaskQueue('rt-nexus-bad'), nexusServices: [{ name: 'x' } as never] }).catch((e: unknown) => e);
    expect(hasErrorCode(refused, 'CONFIG_INVALID')).toBe(true);
    expect(String(refused)).toMatch(/nexusServices.*Nexus service handler/);
  });
});
