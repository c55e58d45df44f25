import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '../../../sandbox/bundler.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import proto from '@temporalio/proto';
import { fromPayload, RUN_INFO, startActivation, T0, commandsOf, ISOLATION_MODES } from './activations.js';

const workflowsPath = path.resolve('test/fixtures/workflows/sandbox/index.ts');

describe.each(ISOLATION_MODES)('deterministic globals (%s)', (isolation) => {
  let sandbox: WorkflowSandbox;
  let bundleId: string;
  const result = async (runId: string, type: string, opts: { seed?: number; timestampMs?: number } = {}) => {
    const commands = commandsOf(await sandbox.activate({ runId, bundleId, activation: startActivation(runId, type, [], opts), info: RUN_INFO }));
    await sandbox.evict(runId);
    return fromPayload(commands[0]?.completeWorkflowExecution?.result);
  };

  beforeAll(async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath });
    sandbox = await WorkflowSandbox.create({ isolation, threads: 2 });
    sandbox.registerBundle(bundle);
    bundleId = bundle.id;
  });
  afterAll(() => sandbox?.close());

  it('Math.random, Date and uuid4 depend only on the seed and the activation time', async () => {
    // Two runs land on different threads (least-loaded pinning), yet agree.
    const [a, b] = await Promise.all([result('rand-a', 'randomness', { seed: 7 }), result('rand-b', 'randomness', { seed: 7 })]);
    expect(a).toEqual(b);
    const [random1, , now, iso] = a as [number, number, number, string];
    expect(now).toBe(T0);
    expect(iso).toBe(new Date(T0).toISOString());
    expect(random1).toBeGreaterThanOrEqual(0);

    const other = (await result('rand-c', 'randomness', { seed: 8, timestampMs: T0 + 5000 })) as unknown[];
    expect(other[0]).not.toBe(random1);
    expect(other[2]).toBe(T0 + 5000);
  });

  it('WeakRef is unavailable to workflow code', async () => {
    expect(await result('weak', 'weakRefUser')).toBe('WeakRef threw: DeterminismViolationError');
  });

  it('patches and replay flags follow the activation, as on the official worker', async () => {
    const run = async (runId: string, opts: { isReplaying: boolean; notify: boolean }) => {
      const bytes = startActivation(runId, 'patchAware', [], { isReplaying: opts.isReplaying, historyLength: 7 });
      const extra = opts.notify ? [{ notifyHasPatch: { patchId: 'my-change' } }] : [];
      const decoded = proto.coresdk.workflow_activation.WorkflowActivation.decode(bytes);
      const withPatch = proto.coresdk.workflow_activation.WorkflowActivation.encode({ ...decoded, jobs: [...decoded.jobs, ...extra] } as typeof decoded).finish();
      const commands = commandsOf(await sandbox.activate({ runId, bundleId, activation: withPatch, info: RUN_INFO }));
      await sandbox.evict(runId);
      return { result: fromPayload(commands.at(-1)?.completeWorkflowExecution?.result), marker: commands.some((c) => c.setPatchMarker) };
    };
    // New code path: patched() is true and records a marker.
    expect(await run('patch-new', { isReplaying: false, notify: false })).toEqual({ result: { patched: true, replaying: false, historyLength: 7 }, marker: true });
    // Replaying history written before the patch: false, no marker.
    expect(await run('patch-old', { isReplaying: true, notify: false })).toEqual({ result: { patched: false, replaying: true, historyLength: 7 }, marker: false });
    // Replaying history written after the patch (core announced it): true.
    expect((await run('patch-replayed', { isReplaying: true, notify: true })).result).toEqual({ patched: true, replaying: true, historyLength: 7 });
  });
});
