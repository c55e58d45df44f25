/**
 * Runs that share a thread (and, in shared-context mode, a `vm` context) must not see each
 * other's state; a run that breaks a shared context takes its co-tenants with it, and they
 * replay from history.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode, type WorkflowBundle } from '../../../sandbox/bundler.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { activation, commandsOf, fromPayload, ISOLATION_MODES, payloads, RUN_INFO, startActivation, T0, type Job } from './activations.js';

const workflowsPath = path.resolve('test/fixtures/workflows/sandbox/index.ts');
const increment = (by: number): Job => ({ signalWorkflow: { signalName: 'increment', input: payloads(by) } });
const countQuery: Job = { queryWorkflow: { queryId: 'q', queryType: 'count', arguments: [] } };

let bundle: WorkflowBundle;
beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath });
});

/** A one-thread sandbox, so that every run of a test shares the thread (and the context). */
function harness(isolation: (typeof ISOLATION_MODES)[number], deadlockTimeoutMs = 2000, maxOldGenerationSizeMb = 512) {
  let sandbox: WorkflowSandbox;
  beforeAll(async () => {
    sandbox = await WorkflowSandbox.create({ isolation, threads: 1, deadlockTimeoutMs, maxOldGenerationSizeMb });
    sandbox.registerBundle(bundle);
  });
  afterAll(() => sandbox?.close());
  const send = (runId: string, bytes: Uint8Array) => sandbox.activate({ runId, bundleId: bundle.id, activation: bytes, info: RUN_INFO });
  return {
    sandbox: () => sandbox,
    send,
    start: (runId: string, type: string, args: unknown[] = [], opts: { seed?: number } = {}) => send(runId, startActivation(runId, type, args, opts)),
    result: async (runId: string, bytes: Promise<Uint8Array>) => fromPayload(commandsOf(await bytes)[0]?.completeWorkflowExecution?.result),
    count: async (runId: string) => fromPayload(commandsOf(await send(runId, activation(runId, [countQuery])))[0]?.respondToQuery?.succeeded?.response),
  };
}

describe.each(ISOLATION_MODES)('runs on one thread keep their own state (%s)', (isolation) => {
  const h = harness(isolation);

  it('two interleaved runs of one workflow: signals into one do not show in the other', async () => {
    expect(commandsOf(await h.start('left', 'counter', [10]))).toHaveLength(0);
    expect(commandsOf(await h.start('right', 'counter', [10]))).toHaveLength(0);
    await h.send('left', activation('left', [increment(3)]));
    await h.send('right', activation('right', [increment(1)]));
    await h.send('left', activation('left', [increment(4)]));
    expect(await h.count('left')).toBe(7);
    expect(await h.count('right')).toBe(1);
    await Promise.all([h.sandbox().evict('left'), h.sandbox().evict('right')]);
  });

  it('module top-level state and global writes stay in their run', async () => {
    expect(await h.result('m1', h.start('m1', 'moduleCounter'))).toBe(1);
    expect(await h.result('m2', h.start('m2', 'moduleCounter'))).toBe(1);
    expect(await h.result('g1', h.start('g1', 'globalWriter', ['from g1']))).toBeUndefined();
    expect(await h.result('g2', h.start('g2', 'globalWriter', ['from g2']))).toBeUndefined();
    // A run cannot change a built-in for the others either.
    expect(await h.result('p1', h.start('p1', 'mathPatcher'))).toBe(isolation === 'shared-context' ? 'refused' : 'patched');
    const [a, b] = [await h.result('r1', h.start('r1', 'randomness', [], { seed: 7 })), await h.result('r2', h.start('r2', 'randomness', [], { seed: 7 }))];
    expect((a as number[])[0]).not.toBe(0.5);
    expect(a).toEqual(b);
    for (const id of ['m1', 'm2', 'g1', 'g2', 'p1', 'r1', 'r2']) await h.sandbox().evict(id);
  });

  it('Math.random, Date and uuid4 stay deterministic per run when activations interleave', async () => {
    const draw = (runId: string, atMs: number) => h.send(runId, activation(runId, [{ signalWorkflow: { signalName: 'draw', input: [] } }], { timestampMs: atMs }));
    await h.start('d-a', 'draws', [2], { seed: 7 });
    await h.start('d-b', 'draws', [2], { seed: 9 });
    await h.start('d-c', 'draws', [2], { seed: 7 });
    for (const id of ['d-a', 'd-b', 'd-c']) await draw(id, T0 + 1000);
    const results = new Map<string, unknown>();
    for (const id of ['d-c', 'd-b', 'd-a']) results.set(id, await h.result(id, draw(id, T0 + 2000)));
    const a = results.get('d-a') as [number, number, string][];
    expect(results.get('d-c')).toEqual(a);
    expect(results.get('d-b')).not.toEqual(a);
    expect(a.map(([, now]) => now)).toEqual([T0 + 1000, T0 + 2000]);
    expect(a[0]?.[0]).not.toBe(a[1]?.[0]);
    expect(a[0]?.[2]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

/** Starts two counters and signals each once, so their state is worth replaying. */
async function startPeers(h: ReturnType<typeof harness>, ids: string[]) {
  for (const id of ids) {
    await h.start(id, 'counter', [10]);
    await h.send(id, activation(id, [increment(2)]));
  }
}

/** Replays a peer's history (start + one signal) as sdk-core would after an eviction. */
async function replayPeer(h: ReturnType<typeof harness>, id: string) {
  await h.send(id, startActivation(id, 'counter', [10], { isReplaying: true }));
  await h.send(id, activation(id, [increment(2)], { isReplaying: true }));
  return h.count(id);
}

describe('a run that breaks a shared context evicts every run in it (shared-context)', () => {
  const h = harness('shared-context', 1000, 64);
  const lostNext = (id: string) => h.send(id, activation(id, [increment(1)]));

  it('deadlock: the offender gets WORKFLOW_DEADLOCK, its co-tenants WORKFLOW_RUN_NOT_FOUND, and they replay', async () => {
    await startPeers(h, ['peer-1', 'peer-2']);
    await expect(h.start('spinner', 'spin')).rejects.toMatchObject({ code: 'WORKFLOW_DEADLOCK', message: expect.stringContaining('2 other run(s)') });
    expect(h.sandbox().runsCached()).toBe(0);
    for (const id of ['peer-1', 'peer-2']) {
      await expect(lostNext(id)).rejects.toMatchObject({ code: 'WORKFLOW_RUN_NOT_FOUND', message: expect.stringContaining("run 'spinner' broke the context") });
    }
    expect(await replayPeer(h, 'peer-1')).toBe(2);
    expect(await replayPeer(h, 'peer-2')).toBe(2);
    await Promise.all([h.sandbox().evict('peer-1'), h.sandbox().evict('peer-2')]);
  });

  it('memory bomb: the thread dies, every run on it is evicted, and they replay on the new thread', async () => {
    await startPeers(h, ['bomb-peer-1', 'bomb-peer-2']);
    await expect(h.start('bomber', 'memoryBomb')).rejects.toMatchObject({ code: 'WORKFLOW_THREAD_CRASHED' });
    expect(h.sandbox().runsCached()).toBe(0);
    for (const id of ['bomb-peer-1', 'bomb-peer-2']) await expect(lostNext(id)).rejects.toMatchObject({ code: 'WORKFLOW_RUN_NOT_FOUND' });
    expect(await replayPeer(h, 'bomb-peer-1')).toBe(2);
    expect(await replayPeer(h, 'bomb-peer-2')).toBe(2);
  }, 30_000);
});

describe('a deadlock costs only its own run (context-per-run)', () => {
  const h = harness('context-per-run', 1000);

  it('co-tenants of the thread keep their state', async () => {
    await startPeers(h, ['solo-1', 'solo-2']);
    await expect(h.start('solo-spinner', 'spin')).rejects.toMatchObject({ code: 'WORKFLOW_DEADLOCK' });
    expect(h.sandbox().runsCached()).toBe(2);
    expect(await h.count('solo-1')).toBe(2);
    expect(await h.count('solo-2')).toBe(2);
  });
});
