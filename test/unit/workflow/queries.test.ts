import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { HistoryBuilder, payload } from './history-builder.js';
import { cmd, complete, newRun, variants } from './run-helpers.js';

const QueryResultType = proto.temporal.api.enums.v1.QueryResultType;

describe('queries', () => {
  it('queries attached to a task come alone, after the task’s jobs, and are answered with the commands', () => {
    const h = new HistoryBuilder().started().workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({
      events: h.events,
      previousStartedEventId: 0,
      startedEventId: h.lastStartedId,
      queries: { q1: { queryType: 'state', queryArgs: { payloads: [payload(1)] } } },
    });
    expect(variants(state.nextActivation())).toEqual(['initializeWorkflow']);
    complete(state, [cmd.timer(1)]);
    const query = state.nextActivation()!;
    expect(variants(query)).toEqual(['queryWorkflow']);
    expect(query.isReplaying).toBe(true);
    expect(query.jobs[0]!.queryWorkflow).toMatchObject({ queryId: 'q1', queryType: 'state' });
    complete(state, [{ respondToQuery: { queryId: 'q1', succeeded: { response: payload('ok') } } }]);
    expect(state.nextActivation()).toBeUndefined();
    const outcome = state.takeTaskOutcome();
    if (outcome.kind !== 'complete') throw new Error(outcome.kind);
    expect(outcome.commands).toHaveLength(1);
    expect(outcome.queryResults['q1']?.resultType).toBe(QueryResultType.QUERY_RESULT_TYPE_ANSWERED);
    expect(outcome.queryResults['q1']?.answer?.payloads).toHaveLength(1);
  });

  it('a legacy query on a cached run is answered with RespondQueryTaskCompleted fields', () => {
    const h = new HistoryBuilder().started().workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: h.lastStartedId });
    state.nextActivation();
    complete(state, []);
    expect(state.takeTaskOutcome().kind).toBe('complete');
    state.applyWorkflowTask({ events: [], previousStartedEventId: 3, startedEventId: 0, legacyQuery: { queryType: 'got' } });
    const query = state.nextActivation()!;
    expect(query.jobs[0]!.queryWorkflow!.queryId).toBe('legacy_query');
    expect(query.historyLength).toBe(3);
    complete(state, [{ respondToQuery: { queryId: 'legacy_query', failed: { message: 'no such query' } } }]);
    expect(state.takeTaskOutcome()).toEqual({
      kind: 'legacyQuery',
      response: { completedType: QueryResultType.QUERY_RESULT_TYPE_FAILED, errorMessage: 'no such query', failure: { message: 'no such query' } },
    });
  });
});
