import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '../../../sandbox/bundler.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { activation, commandsOf, RUN_INFO, startActivation, ISOLATION_MODES } from './activations.js';

const workflowsPath = path.resolve('test/fixtures/workflows/sandbox/index.ts');

describe.each(ISOLATION_MODES)('misbehaving workflows are contained (%s)', (isolation) => {
  let sandbox: WorkflowSandbox;
  let bundleId: string;
  const start = (runId: string, type: string, args: unknown[] = []) =>
    sandbox.activate({ runId, bundleId, activation: startActivation(runId, type, args), info: RUN_INFO });

  beforeAll(async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath });
    sandbox = await WorkflowSandbox.create({ isolation, threads: 2, deadlockTimeoutMs: 1000, maxOldGenerationSizeMb: 48 });
    sandbox.registerBundle(bundle);
    bundleId = bundle.id;
  });
  afterAll(() => sandbox?.close());

  it('an endless loop fails with WORKFLOW_DEADLOCK naming type and run, and the run is evicted', async () => {
    const started = performance.now();
    const err = await start('run-spin', 'spin').then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(err?.code).toBe('WORKFLOW_DEADLOCK');
    expect(err?.message).toContain("'spin'");
    expect(err?.message).toContain("'run-spin'");
    // The stage it was stuck in: read from the thread's status cells when the host ends the thread.
    expect(err?.message).toMatch(/stuck in (initialize|activate)\)/);
    // Where it was stuck, mapped to the workflow source by the deadlock probe.
    expect(err?.message).toMatch(/spinForever \(test\/fixtures\/workflows\/sandbox\/index\.ts:\d+:\d+\)/);
    // Bounded, not fast: the timeout is 1 s; the slack is for a loaded 2-core CI machine.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(sandbox.runsCached()).toBe(0);

    // The thread (and the process) survive: the same sandbox keeps serving runs.
    expect(commandsOf(await start('run-after-spin', 'counter', [1]))).toHaveLength(0);
    await sandbox.evict('run-after-spin');
  });

  it('a memory bomb kills only its thread: its runs are evicted, other threads keep theirs', async () => {
    // Pinning: least-loaded thread first, ties to the lowest index.
    expect(commandsOf(await start('victim', 'counter', [5]))).toHaveLength(0); // thread 0
    expect(commandsOf(await start('bystander', 'counter', [5]))).toHaveLength(0); // thread 1
    const crash = await start('bomb', 'memoryBomb').then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    ); // thread 0
    expect(crash?.code).toBe('WORKFLOW_THREAD_CRASHED');
    expect(crash?.message).toContain("'bomb'");
    expect(sandbox.runsCached()).toBe(1);

    const signal = { signalWorkflow: { signalName: 'increment', input: [] } };
    await expect(sandbox.activate({ runId: 'victim', bundleId, activation: activation('victim', [signal]) })).rejects.toMatchObject({
      code: 'WORKFLOW_RUN_NOT_FOUND',
    });
    // The bystander's state survived on the other thread.
    const incremented = commandsOf(
      await sandbox.activate({ runId: 'bystander', bundleId, activation: activation('bystander', [{ signalWorkflow: { signalName: 'increment', input: [] } }]) }),
    );
    expect(incremented).toHaveLength(0);

    // The replaced thread takes new runs (the bundle is sent again).
    expect(commandsOf(await start('victim-replayed', 'counter', [5]))).toHaveLength(0);
    expect(sandbox.runsCached()).toBe(2);
  }, 30_000);
});
