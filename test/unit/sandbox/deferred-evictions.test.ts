import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bundleWorkflowCode } from '../../../sandbox/bundler.js';
import { DeferredEvictions, FLUSH_AFTER_MS } from '../../../sandbox/deferred-evictions.js';
import type { ThreadSlot } from '../../../sandbox/thread-slot.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { activation, commandsOf, fromPayload, payloads, RUN_INFO, startActivation, ISOLATION_MODES } from './activations.js';

const workflowsPath = path.resolve('test/fixtures/workflows/sandbox/index.ts');

describe.each(ISOLATION_MODES)('an evicted run is disposed before its thread runs anything else (%s)', (isolation) => {
  let sandbox: WorkflowSandbox;
  let bundleId: string;

  beforeAll(async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath });
    sandbox = await WorkflowSandbox.create({ isolation, threads: 1 });
    sandbox.registerBundle(bundle);
    bundleId = bundle.id;
  });
  afterAll(() => sandbox?.close());

  const send = (runId: string, bytes: Uint8Array, create = false) => sandbox.activate({ runId, bundleId, activation: bytes, ...(create ? { info: RUN_INFO } : {}) });
  const signal = (by: number) => ({ signalWorkflow: { signalName: 'increment', input: payloads(by) } });
  const count = async (runId: string) => fromPayload(commandsOf(await send(runId, activation(runId, [{ queryWorkflow: { queryId: 'q', queryType: 'count', arguments: [] } }])))[0]?.respondToQuery?.succeeded?.response);

  it('its next activation finds no run, even when it is the very next task of the thread', async () => {
    const runId = 'evicted-then-signalled';
    await send(runId, startActivation(runId, 'counter', [5]), true);
    await send(runId, activation(runId, [signal(1)]));
    await sandbox.evict(runId);
    expect(sandbox.runsCached()).toBe(0);
    await expect(send(runId, activation(runId, [signal(1)]))).rejects.toMatchObject({ code: 'WORKFLOW_RUN_NOT_FOUND' });
  });

  it('a run evicted and started again under the same id starts from scratch', async () => {
    const runId = 'evicted-then-replayed';
    await send(runId, startActivation(runId, 'counter', [5]), true);
    await send(runId, activation(runId, [signal(2)]));
    expect(await count(runId)).toBe(2);
    await sandbox.evict(runId);
    await send(runId, startActivation(runId, 'counter', [5]), true);
    expect(await count(runId)).toBe(0);
    await sandbox.evict(runId);
  });

  it('evictions with no task to ride with are disposed on their own, and other runs carry on', async () => {
    const ids = ['alone-1', 'alone-2', 'stays'];
    for (const id of ids) await send(id, startActivation(id, 'counter', [5]), true);
    await send('stays', activation('stays', [signal(3)]));
    await sandbox.evict('alone-1');
    await sandbox.evict('alone-2');
    await new Promise((resolve) => setTimeout(resolve, FLUSH_AFTER_MS * 5));
    expect(sandbox.runsCached()).toBe(1);
    expect(await count('stays')).toBe(3);
    for (const id of ['alone-1', 'alone-2']) await expect(send(id, activation(id, [signal(1)]))).rejects.toMatchObject({ code: 'WORKFLOW_RUN_NOT_FOUND' });
  });
});

describe('DeferredEvictions', () => {
  afterEach(() => vi.useRealTimers());
  const slot = () => ({ generation: 0 }) as ThreadSlot;

  it('hands the queued run ids to the next task, once, and then has none', () => {
    vi.useFakeTimers();
    const flushed: string[][] = [];
    const deferred = new DeferredEvictions((_, ids) => flushed.push(ids));
    const a = slot();
    deferred.add(a, 'r1');
    deferred.add(a, 'r2');
    expect(deferred.take(a)).toEqual(['r1', 'r2']);
    expect(deferred.take(a)).toBeUndefined();
    vi.advanceTimersByTime(FLUSH_AFTER_MS * 2);
    expect(flushed).toEqual([]);
  });

  it('flushes a slot alone when no task takes its evictions in time, and keeps slots apart', () => {
    vi.useFakeTimers();
    const flushed: Array<[ThreadSlot, string[]]> = [];
    const deferred = new DeferredEvictions((s, ids) => flushed.push([s, ids]));
    const a = slot();
    const b = slot();
    deferred.add(a, 'a1');
    deferred.add(b, 'b1');
    vi.advanceTimersByTime(FLUSH_AFTER_MS - 1);
    expect(deferred.take(b)).toEqual(['b1']);
    vi.advanceTimersByTime(1);
    expect(flushed).toEqual([[a, ['a1']]]);
    expect(deferred.takeAll()).toEqual([]);
  });

  it('drops the evictions of a thread that has died since: its runs went with it', () => {
    vi.useFakeTimers();
    const flushed: string[][] = [];
    const deferred = new DeferredEvictions((_, ids) => flushed.push(ids));
    const a = slot();
    deferred.add(a, 'old');
    a.generation++;
    expect(deferred.take(a)).toBeUndefined();
    deferred.add(a, 'new');
    expect(deferred.takeAll()).toEqual([[a, ['new']]]);
    vi.advanceTimersByTime(FLUSH_AFTER_MS * 2);
    expect(flushed).toEqual([]);
  });
});
