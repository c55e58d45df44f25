import { defaultDataConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { LocalActivityExecutor } from '../../../core/local-activity/local-activity-executor.js';
import { LocalActivityLoop } from '../../../core/local-activity/local-activity-loop.js';
import { int64 } from '../../../core/workflow/proto-types.js';
import { silentLogger } from '../../helpers/runtime.js';
import { HistoryBuilder } from '../workflow/history-builder.js';
import { complete, newRun, variants } from '../workflow/run-helpers.js';

type IWorkflowCommand = proto.coresdk.workflow_commands.IWorkflowCommand;

const la = (seq: number, type: string): IWorkflowCommand => ({
  scheduleLocalActivity: { seq, activityId: String(seq), activityType: type, attempt: 1, startToCloseTimeout: { seconds: int64(10) } },
});

function setup(activities: Record<string, () => unknown>) {
  const executor = new LocalActivityExecutor({
    namespace: 'default',
    taskQueue: 'tq',
    activities: new Map(Object.entries(activities)),
    dataConverter: defaultDataConverter,
    logger: silentLogger,
    maxConcurrentLocalActivityExecutions: 4,
  });
  const loop = new LocalActivityLoop(executor);
  const h = new HistoryBuilder().started({ workflowTaskTimeout: { seconds: 2 } }).workflowTask({ complete: false });
  const state = newRun();
  state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: h.lastStartedId });
  state.nextActivation();
  return { executor, loop, state };
}

describe('local activity loop', () => {
  it('a result becomes the next activation of the same task; then nothing holds the task', async () => {
    const { loop, state } = setup({ quick: () => 'done' });
    complete(state, [la(1, 'quick')]);
    loop.dispatch(state);
    expect(await loop.next(state, performance.now() + 5000)).toBe('activate');
    expect(variants(state.nextActivation())).toEqual(['resolveActivity']);
    complete(state, [{ completeWorkflowExecution: {} }]);
    loop.dispatch(state);
    expect(await loop.next(state, performance.now() + 5000)).toBe('answer');
  });

  it('answers at the heartbeat deadline (80 % of the workflow task timeout) while one still runs', async () => {
    const { loop, state, executor } = setup({ slow: () => new Promise((r) => setTimeout(r, 2000)) });
    expect(LocalActivityLoop.heartbeatDeadline(1000, state)).toBe(1000 + 1600);
    complete(state, [la(1, 'slow')]);
    loop.dispatch(state);
    expect(await loop.next(state, performance.now() + 50)).toBe('heartbeat');
    const outcome = state.takeTaskOutcome({ forceNewWorkflowTask: true });
    expect(outcome.kind === 'complete' && outcome.forceCreateNewWorkflowTask).toBe(true);
    expect(executor.inFlight).toBe(1);
    // Evicting the run stops what it still runs, and its late result goes nowhere.
    loop.evict(state.runId);
    expect(executor.inFlight).toBe(0);
  });
});
