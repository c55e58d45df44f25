/**
 * The state machines against the official worker: for each history recorded from
 * @temporalio/worker 1.24.0, feeding the same history and the same completions must yield the same
 * activations, both on full replay and task by task as a cached (sticky) run sees them live.
 */
import { describe, expect, it } from 'vitest';
import { checkCommandMatchesEvent } from '../../../core/workflow/command-matching.js';
import { InternalFlags } from '../../../core/workflow/internal-flags.js';
import { EventType, eventIdOf, eventTypeOf, type IHistoryEvent } from '../../../core/workflow/proto-types.js';
import { WorkflowRunState } from '../../../core/workflow/workflow-run-state.js';
import { loadRecordedRun, normalizeActivation, recordedRunNames, type RecordedRun } from './recorded-fixtures.js';

function newState(run: RecordedRun): WorkflowRunState {
  const started = run.events[0]!.workflowExecutionStartedEventAttributes!;
  return new WorkflowRunState({
    namespace: 'default',
    taskQueue: run.taskQueue,
    runId: run.runId,
    workflowId: run.workflowId,
    workflowType: started.workflowType!.name!,
  });
}

/** WorkflowTaskStarted events the code saw (followed by a completion, or last in history). */
function taskStartedIds(events: IHistoryEvent[]): number[] {
  return events
    .filter((e, i) => {
      if (eventTypeOf(e) !== EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) return false;
      const next = events[i + 1];
      return !next || eventTypeOf(next) === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
    })
    .map(eventIdOf);
}

const isQuery = (a: Record<string, unknown>): boolean =>
  ((a['jobs'] as Array<Record<string, unknown>>) ?? []).some((j) => 'queryWorkflow' in j);

describe.each(recordedRunNames())('recorded history %s', (name) => {
  const run = loadRecordedRun(name);

  it('full-history replay gives the official activations', () => {
    const state = newState(run);
    const lastStarted = taskStartedIds(run.events).at(-1)!;
    state.applyWorkflowTask({ events: run.events, previousStartedEventId: lastStarted, startedEventId: lastStarted });
    const produced: Array<Record<string, unknown>> = [];
    for (const step of run.replay) {
      const activation = state.nextActivation();
      expect(activation, `activation ${produced.length + 1}`).toBeDefined();
      produced.push(normalizeActivation(activation!));
      expect(produced.at(-1)).toEqual(normalizeActivation(step.activation));
      state.applyCompletion(step.completion);
    }
    expect(state.nextActivation()).toBeUndefined();
    expect(state.takeTaskOutcome()).toEqual({ kind: 'none' });
    expect(state.isFinished).toBe(true);
  });

  it('task-by-task (cached run) gives the official live activations and the recorded commands', () => {
    const state = newState(run);
    const live = run.live.filter((s) => !isQuery(s.activation));
    const startedIds = taskStartedIds(run.events);
    let step = 0;
    let previousStarted = 0;
    for (const startedId of startedIds) {
      const events = run.events.filter((e) => eventIdOf(e) > previousStarted && eventIdOf(e) <= startedId);
      state.applyWorkflowTask({ events, previousStartedEventId: previousStarted, startedEventId: startedId });
      for (let a = state.nextActivation(); a; a = state.nextActivation()) {
        const recorded = live[step++]!;
        expect(normalizeActivation(a)).toEqual(normalizeActivation(recorded.activation));
        state.applyCompletion(recorded.completion);
      }
      const outcome = state.takeTaskOutcome();
      expect(outcome.kind).toBe('complete');
      if (outcome.kind !== 'complete') return;
      // What we would send must be what the official core sent: history recorded it right after.
      const recordedEvents = run.events.filter((e) => eventIdOf(e) > startedId + 1).slice(0, outcome.commands.length);
      outcome.commands.forEach((command, i) => {
        const event = recordedEvents[i]!;
        checkCommandMatchesEvent(command, event, { flags: new InternalFlags(false, '', ''), inLastTask: true });
        if (command.recordMarkerCommandAttributes) {
          expect(toBytes(command.recordMarkerCommandAttributes.details)).toEqual(toBytes(event.markerRecordedEventAttributes!.details));
        }
        if (command.upsertWorkflowSearchAttributesCommandAttributes) {
          expect(toBytes(command.upsertWorkflowSearchAttributesCommandAttributes.searchAttributes)).toEqual(
            withoutServerTypes(toBytes(event.upsertWorkflowSearchAttributesEventAttributes!.searchAttributes), toBytes(command.upsertWorkflowSearchAttributesCommandAttributes.searchAttributes)),
          );
        }
      });
      previousStarted = startedId;
    }
    expect(step).toBe(live.length);
  });
});

/** The server types a legacy (untyped) search attribute when it records it; the command had no type. */
function withoutServerTypes(recorded: unknown, sent: unknown): unknown {
  type Fields = { indexedFields?: Record<string, { metadata?: Record<string, unknown> }> };
  const out = structuredClone(recorded) as Fields;
  for (const [key, value] of Object.entries(out.indexedFields ?? {})) {
    if (!(sent as Fields).indexedFields?.[key]?.metadata?.['type'] && value.metadata) delete value.metadata['type'];
  }
  return out;
}

function toBytes(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)));
}

