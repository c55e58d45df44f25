import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '../../../sandbox/bundler.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { commandsOf, fromPayload, RUN_INFO, startActivation, ISOLATION_MODES } from './activations.js';

const fixtures = path.resolve('test/fixtures/workflows/sandbox');

describe.each(ISOLATION_MODES)('bundle options reach the workflow runtime (%s)', (isolation) => {
  let sandbox: WorkflowSandbox;
  let bundleId: string;

  beforeAll(async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.join(fixtures, 'index.ts'),
      workflowInterceptorModules: [path.join(fixtures, 'interceptors.ts')],
      payloadConverterPath: path.join(fixtures, 'payload-converter.ts'),
    });
    sandbox = await WorkflowSandbox.create({ isolation, threads: 1 });
    sandbox.registerBundle(bundle);
    bundleId = bundle.id;
  });
  afterAll(() => sandbox?.close());

  it('runs workflow interceptors and the custom payload converter', async () => {
    const runId = 'run-intercepted';
    const commands = commandsOf(await sandbox.activate({ runId, bundleId, activation: startActivation(runId, 'weakRefUser'), info: RUN_INFO }));
    const result = commands[0]?.completeWorkflowExecution?.result;
    expect(fromPayload(result)).toBe('intercepted(WeakRef threw: DeterminismViolationError)');
    expect(new TextDecoder().decode(result?.metadata?.['x-sandbox'] ?? new Uint8Array())).toBe('marked');
  });

  it('refuses calls after close()', async () => {
    await sandbox.close();
    await expect(sandbox.activate({ runId: 'late', bundleId, activation: startActivation('late', 'counter', [1]), info: RUN_INFO })).rejects.toMatchObject({
      code: 'ILLEGAL_STATE',
    });
    await sandbox.close(); // idempotent
  });
});
