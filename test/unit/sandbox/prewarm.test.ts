import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode, type WorkflowBundle } from '../../../sandbox/bundler.js';
import { sha256 } from '../../../sandbox/bundle-cache.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { commandsOf, decodeCompletion, RUN_INFO, startActivation, ISOLATION_MODES } from './activations.js';

const workflowsPath = path.resolve('test/fixtures/workflows/sandbox/index.ts');

/** The same bundle with library code that throws once evaluated: every run of it fails. */
function brokenAtEvaluation(bundle: WorkflowBundle): WorkflowBundle {
  const code = `${bundle.code}\n;throw new Error('this bundle breaks at evaluation');`;
  return { ...bundle, code, id: sha256(code).slice(0, 32), filename: `${bundle.filename}.broken.js` };
}

describe.each(ISOLATION_MODES)('registerBundle prepares the bundle on every thread before its first activation (%s)', (isolation) => {
  let sandbox: WorkflowSandbox;
  let bundle: WorkflowBundle;

  beforeAll(async () => {
    bundle = await bundleWorkflowCode({ workflowsPath });
    sandbox = await WorkflowSandbox.create({ isolation, threads: 2 });
  });
  afterAll(() => sandbox?.close());

  it('every thread prepares a sound bundle, and runs then start on it', async () => {
    expect(await sandbox.prepared(bundle.id)).toBe(false); // not registered yet
    sandbox.registerBundle(bundle);
    expect(await sandbox.prepared(bundle.id)).toBe(true);
    sandbox.registerBundle(bundle); // again: the same preparation stands
    expect(await sandbox.prepared(bundle.id)).toBe(true);
    for (const runId of ['warm-0', 'warm-1']) {
      expect(commandsOf(await sandbox.activate({ runId, bundleId: bundle.id, activation: startActivation(runId, 'counter', [1]), info: RUN_INFO }))).toHaveLength(0);
    }
    expect(sandbox.runsCached()).toBe(2);
  });

  it('a bundle that breaks at evaluation is only a missed head start: its first activation fails the task with the error', async () => {
    const broken = brokenAtEvaluation(bundle);
    sandbox.registerBundle(broken);
    // Shared contexts evaluate the library when prepared; a context per run only compiles it then.
    expect(await sandbox.prepared(broken.id)).toBe(isolation === 'context-per-run');
    const runId = `broken-${isolation}`;
    const completion = decodeCompletion(await sandbox.activate({ runId, bundleId: broken.id, activation: startActivation(runId, 'counter', [1]), info: RUN_INFO }));
    expect(completion.failed?.failure?.message).toContain('this bundle breaks at evaluation');
    expect(sandbox.runsCached()).toBe(2); // the failed run is not cached; the warm ones stay
  });
});

describe('a sandbox closed while it prepares a bundle', () => {
  it('closes cleanly: the preparation settles (false or true), nothing is left running or rejected', async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath });
    const sandbox = await WorkflowSandbox.create({ threads: 3 });
    sandbox.registerBundle(bundle);
    await sandbox.close();
    expect(typeof (await sandbox.prepared(bundle.id))).toBe('boolean');
    expect(() => sandbox.registerBundle(bundle)).toThrow(/closed/);
  });
});
