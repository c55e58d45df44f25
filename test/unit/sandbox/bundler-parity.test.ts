/**
 * Bundling as the official bundler does it, checked by running the bundles in the sandbox:
 * ignoreModules stubs, require.resolve, @temporalio/proto in workflow code, prebuilt bundles
 * (ours and the official bundleWorkflowCode's).
 */
import path from 'node:path';
import { bundleWorkflowCode as officialBundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '../../../sandbox/bundler.js';
import { ForbiddenImportError } from '../../../sandbox/errors.js';
import { prebuiltBundle } from '../../../sandbox/workflow-bundle-source.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { decodeCompletion, fromPayload, ISOLATION_MODES, RUN_INFO, startActivation } from './activations.js';

const fixtures = path.resolve('test/fixtures/workflows/bundler-parity');
const hello = path.resolve('test/fixtures/workflows/sandbox/hello.ts');

describe.each(ISOLATION_MODES)('bundler parity with the official bundler (%s)', (isolation) => {
  let sandbox: WorkflowSandbox;
  let runs = 0;
  beforeAll(async () => {
    sandbox = await WorkflowSandbox.create({ isolation, threads: 1 });
  });
  afterAll(() => sandbox?.close());

  /** Starts a run of `workflowType` and returns its first completion. */
  async function start(bundle: { id: string }, workflowType: string, args: unknown[] = []) {
    const runId = `run-${isolation}-${++runs}`;
    const completion = decodeCompletion(await sandbox.activate({ runId, bundleId: bundle.id, activation: startActivation(runId, workflowType, args), info: RUN_INFO }));
    await sandbox.evict(runId);
    return completion;
  }
  const register = <B extends Parameters<WorkflowSandbox['registerBundle']>[0]>(bundle: B) => (sandbox.registerBundle(bundle), bundle);

  it('ignoreModules: importing works, using an export throws, naming the module', async () => {
    const workflowsPath = path.join(fixtures, 'ignored.ts');
    const refused = await bundleWorkflowCode({ workflowsPath }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ForbiddenImportError);
    expect((refused as ForbiddenImportError).imports.map((i) => i.module).sort()).toEqual(['@temporalio/client', 'fs', 'node:crypto']);

    const bundle = register(await bundleWorkflowCode({ workflowsPath, ignoreModules: ['fs', 'crypto', '@temporalio/client'] }));
    const fine = await start(bundle, 'usesIgnored', [false]);
    expect(fromPayload(fine.successful?.commands?.[0]?.completeWorkflowExecution?.result)).toBe('imported, function');
    const used = await start(bundle, 'usesIgnored', [true]);
    expect(used.failed?.failure?.message).toBe("Module 'node:crypto' is in bundlerOptions.ignoreModules: 'createHash' cannot be used inside a workflow");
  });

  it('@temporalio/proto, proto-utils and require.resolve in workflow code', async () => {
    const bundle = register(await bundleWorkflowCode({ workflowsPath: path.join(fixtures, 'protos.ts'), sourceMap: false }));
    expect(bundle.code).not.toContain('require.resolve(');
    const done = await start(bundle, 'protoRoundTrip', [[0xde, 0xad, 0xbe, 0xef]]);
    expect(done.failed).toBeFalsy();
    expect(fromPayload(done.successful?.commands?.[0]?.completeWorkflowExecution?.result)).toEqual({
      encoding: 'json/protobuf', // the converter's first choice for a message
      data: [0xde, 0xad, 0xbe, 0xef],
      here: path.join(fixtures, 'protos.ts'),
      events: 1,
    });
  });

  it('workflowBundle: a bundle of ours, and one made by the official bundleWorkflowCode', async () => {
    const ours = await bundleWorkflowCode({ workflowsPath: hello });
    const official = await officialBundleWorkflowCode({ workflowsPath: hello, logger: new DefaultLogger('WARN') });
    for (const code of [ours.code, official.code]) {
      const bundle = register(await prebuiltBundle({ code }));
      const first = await start(bundle, 'hello', ['Temporal']);
      expect(first.successful?.commands?.[0]?.scheduleActivity?.activityType).toBe('greet');
    }
    await expect(prebuiltBundle({ code: 'console.log(1)' })).rejects.toMatchObject({ code: 'WORKFLOW_BUNDLE_FAILED' });
  });

  it('an official bundle keeps module state per run', async () => {
    const workflowsPath = path.resolve('test/fixtures/workflows/sandbox/isolation.ts');
    const bundle = register(await prebuiltBundle(await officialBundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') })));
    for (let i = 0; i < 2; i++) {
      const done = await start(bundle, 'moduleCounter');
      expect(fromPayload(done.successful?.commands?.[0]?.completeWorkflowExecution?.result)).toBe(1);
    }
  });
});
