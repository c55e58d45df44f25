import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../core/errors.js';
import { C, commandsOf, liveRun, T, thrown } from './command-test-kit.js';
import { HistoryBuilder, payload } from './history-builder.js';
import { cmd, complete, newRun, variants } from './run-helpers.js';

type IWorkflowCommand = proto.coresdk.workflow_commands.IWorkflowCommand;

const upsertSA = (fields: Record<string, unknown>): IWorkflowCommand => ({
  upsertWorkflowSearchAttributes: { searchAttributes: { indexedFields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, payload(v)])) } },
});
const upsertMemo = (fields: Record<string, unknown>): IWorkflowCommand => ({
  modifyWorkflowProperties: { upsertedMemo: { fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, payload(v)])) } },
});

function replayWith(build: (h: HistoryBuilder) => void) {
  const h = new HistoryBuilder().started({ searchAttributes: { indexedFields: { CustomIntField: payload(1) } } }).workflowTask();
  build(h);
  h.workflowTask({ complete: false });
  const state = newRun();
  state.applyWorkflowTask({ events: h.events, previousStartedEventId: h.lastStartedId, startedEventId: h.lastStartedId });
  expect(variants(state.nextActivation())).toEqual(['initializeWorkflow']);
  return state;
}

describe('search attribute and memo upserts', () => {
  it('upsertSearchAttributes and upsertMemo become their commands, recorded once and never resolved', () => {
    const run = liveRun();
    complete(run.state, [upsertSA({ CustomKeywordField: ['a'] }), upsertMemo({ note: 'm' })]);
    const commands = commandsOf(run.state);
    expect(commands.map((c) => c.commandType)).toEqual([C.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, C.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES]);
    expect(Object.keys(commands[0]!.upsertWorkflowSearchAttributesCommandAttributes!.searchAttributes!.indexedFields!)).toEqual(['CustomKeywordField']);
    expect(Object.keys(commands[1]!.modifyWorkflowPropertiesCommandAttributes!.upsertedMemo!.fields!)).toEqual(['note']);
    run.nextTask((h) => {
      h.event(T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, { upsertWorkflowSearchAttributesEventAttributes: commands[0]!.upsertWorkflowSearchAttributesCommandAttributes! });
      h.event(T.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, { workflowPropertiesModifiedEventAttributes: commands[1]!.modifyWorkflowPropertiesCommandAttributes! });
      h.signaled('s', 1);
    });
    expect(variants(run.state.nextActivation())).toEqual(['signalWorkflow']);
  });

  it('TemporalChangeVersion belongs to patching: the code’s upsert of it is sent empty', () => {
    const { state } = liveRun();
    complete(state, [upsertSA({ TemporalChangeVersion: ['mine'] })]);
    expect(commandsOf(state)[0]!.upsertWorkflowSearchAttributesCommandAttributes!.searchAttributes).toEqual({});
  });

  it('a continue-as-new carries the start’s search attributes with the upserts over them', () => {
    const { state } = liveRun();
    complete(state, [upsertSA({ CustomKeywordField: ['kw'] }), { continueAsNewWorkflowExecution: { workflowType: 'wf' } }]);
    const can = commandsOf(state)[1]!.continueAsNewWorkflowExecutionCommandAttributes!;
    // The live run started without search attributes: only the upsert is carried.
    expect(Object.keys(can.searchAttributes!.indexedFields!)).toEqual(['CustomKeywordField']);
    const replayed = replayWith((h) => {
      h.event(T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, { upsertWorkflowSearchAttributesEventAttributes: {} });
      h.continuedAsNew();
    });
    complete(replayed, [upsertSA({ CustomKeywordField: ['kw'] }), { continueAsNewWorkflowExecution: { workflowType: 'wf' } }]);
  });

  it('replay: a memo upsert where history recorded a search attribute upsert is nondeterminism', () => {
    const state = replayWith((h) => h.event(T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, { upsertWorkflowSearchAttributesEventAttributes: {} }));
    const error = thrown(() => complete(state, [upsertMemo({ note: 'm' })]));
    expect(hasErrorCode(error, 'WORKFLOW_NONDETERMINISM')).toBe(true);
    expect((error as Error).message).toMatch(/UpsertWorkflowSearchAttributes\).*issued ModifyWorkflowProperties/);
  });

  it('replay: an upsert in history the code no longer makes is nondeterminism', () => {
    const state = replayWith((h) => h.event(T.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, { workflowPropertiesModifiedEventAttributes: {} }));
    const error = thrown(() => complete(state, [cmd.timer(1)]));
    expect(hasErrorCode(error, 'WORKFLOW_NONDETERMINISM')).toBe(true);
  });
});

describe('history the worker does not act on', () => {
  it.each([
    ['WorkflowExecutionOptionsUpdated', T.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED, { workflowExecutionOptionsUpdatedEventAttributes: {} }],
    ['WorkflowPropertiesModifiedExternally', T.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED_EXTERNALLY, { workflowPropertiesModifiedExternallyEventAttributes: {} }],
    ['WorkflowExecutionPaused', T.EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED, {}],
  ])('%s replays (even without workerMayIgnore) and asks nothing of the code', (_name, type, attrs) => {
    const h = new HistoryBuilder().started().workflowTask();
    h.event(type, attrs as never);
    h.signaled('s', 1).workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: h.lastStartedId });
    expect(variants(state.nextActivation())).toEqual(['initializeWorkflow']);
    complete(state, []);
    expect(variants(state.nextActivation())).toEqual(['signalWorkflow']);
  });

  it('an event of a kind this runtime does not know, not marked ignorable, is refused; marked ignorable, skipped', () => {
    const run = (workerMayIgnore: boolean): unknown => {
      const h = new HistoryBuilder().started().workflowTask();
      h.event(999, { workerMayIgnore });
      h.workflowTask({ complete: false });
      const state = newRun();
      state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: h.lastStartedId });
      state.nextActivation();
      return thrown(() => complete(state, []));
    };
    const refused = run(false);
    expect(hasErrorCode(refused, 'WORKFLOW_HISTORY_INVALID')).toBe(true);
    expect((refused as Error).message).toContain('EventType(999)');
    expect(run(true)).toBeUndefined();
  });
});
