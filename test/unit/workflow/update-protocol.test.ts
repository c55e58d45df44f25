/**
 * The Workflow Update protocol at the state-machine level: request messages in (from the poll
 * response and from history), DoUpdate jobs out, Acceptance / Rejection / Response messages and
 * their ProtocolMessage commands, replay from UpdateAccepted events, and speculative-task rewinds.
 */
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import type { IProtocolMessage } from '../../../core/workflow/update-messages.js';
import type { WorkflowRunState } from '../../../core/workflow/workflow-run-state.js';
import { HistoryBuilder, payload } from './history-builder.js';
import { complete, newRun, variants } from './run-helpers.js';

const T = proto.temporal.api.enums.v1.EventType;
const CommandType = proto.temporal.api.enums.v1.CommandType;
const Update = proto.temporal.api.update.v1;
type IHistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
type IWorkflowCommand = proto.coresdk.workflow_commands.IWorkflowCommand;

const request = (updateId: string, name = 'add', arg: unknown = 1): proto.temporal.api.update.v1.IRequest => ({
  meta: { updateId, identity: 'client' },
  input: { name, args: { payloads: [payload(arg)] }, header: { fields: {} } },
});

/** A request message as the server sends it in a poll response. */
function requestMessage(updateId: string, sequencingEventId: number, name = 'add'): IProtocolMessage {
  return {
    id: `${updateId}/request`,
    protocolInstanceId: updateId,
    eventId: sequencingEventId as never,
    body: { type_url: 'type.googleapis.com/temporal.api.update.v1.Request', value: Update.Request.encode(request(updateId, name)).finish() },
  };
}

/** Appends an event with the next id (the shared builder has no update events). */
function append(h: HistoryBuilder, eventType: number, attrs: Partial<IHistoryEvent>): number {
  const eventId = h.lastId + 1;
  h.events.push(proto.temporal.api.history.v1.HistoryEvent.fromObject({ eventId, eventType, eventTime: { seconds: 1_700_000_000 + eventId }, ...attrs }));
  return eventId;
}

function accepted(h: HistoryBuilder, updateId: string, sequencingEventId: number): number {
  return append(h, T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
    workflowExecutionUpdateAcceptedEventAttributes: {
      protocolInstanceId: updateId,
      acceptedRequestMessageId: `${updateId}/request`,
      acceptedRequestSequencingEventId: sequencingEventId as never,
      acceptedRequest: request(updateId),
    },
  });
}

function updateCompleted(h: HistoryBuilder, updateId: string, acceptedEventId: number): number {
  return append(h, T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
    workflowExecutionUpdateCompletedEventAttributes: { meta: { updateId }, acceptedEventId: acceptedEventId as never, outcome: { success: { payloads: [payload(2)] } } },
  });
}

const respond = {
  accept: (id: string): IWorkflowCommand => ({ updateResponse: { protocolInstanceId: id, accepted: {} } }),
  reject: (id: string, message: string): IWorkflowCommand => ({ updateResponse: { protocolInstanceId: id, rejected: { message } } }),
  complete: (id: string, value: unknown): IWorkflowCommand => ({ updateResponse: { protocolInstanceId: id, completed: payload(value) } }),
};

function decodeBody(m: IProtocolMessage): { type: string; body: Record<string, unknown> } {
  const any = m.body as { type_url: string; value: Uint8Array };
  const type = any.type_url.split('.').at(-1)!;
  const decoder = (Update as unknown as Record<string, { decode(b: Uint8Array): object }>)[type]!;
  return { type, body: (decoder.decode(any.value) as { toJSON(): Record<string, unknown> }).toJSON() };
}

function outcome(state: WorkflowRunState) {
  const o = state.takeTaskOutcome();
  if (o.kind !== 'complete') throw new Error(`expected a completion, got ${o.kind}`);
  return o;
}

describe('Workflow Update protocol', () => {
  it('a request in the first task: DoUpdate after init, then Acceptance + Response with their commands', () => {
    const h = new HistoryBuilder().started().workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: 3, messages: [requestMessage('u1', 2)] });
    const activation = state.nextActivation()!;
    expect(variants(activation)).toEqual(['initializeWorkflow', 'doUpdate']);
    const job = activation.jobs[1]!.doUpdate!;
    expect({ id: job.id, instance: job.protocolInstanceId, name: job.name, runValidator: job.runValidator, args: job.input?.length }).toEqual({ id: 'u1', instance: 'u1', name: 'add', runValidator: true, args: 1 });
    complete(state, [respond.accept('u1'), respond.complete('u1', 2)]);
    const o = outcome(state);
    expect(o.commands.map((c) => [c.commandType, c.protocolMessageCommandAttributes?.messageId])).toEqual([
      [CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE, 'u1/request/accept'],
      [CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE, 'u1/request/complete'],
    ]);
    const [acceptance, response] = o.messages.map(decodeBody);
    expect(acceptance).toMatchObject({ type: 'Acceptance', body: { acceptedRequestMessageId: 'u1/request', acceptedRequestSequencingEventId: '2', acceptedRequest: { meta: { updateId: 'u1' } } } });
    expect(response).toMatchObject({ type: 'Response', body: { meta: { updateId: 'u1' }, outcome: { success: { payloads: [{}] } } } });
    expect(o.messages.every((m) => m.protocolInstanceId === 'u1')).toBe(true);
  });

  it('a rejection is a message with no command; a handler failure after acceptance is a failed Response', () => {
    const h = new HistoryBuilder().started().workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: 3, messages: [requestMessage('bad', 2), requestMessage('fails', 2)] });
    expect(variants(state.nextActivation())).toEqual(['initializeWorkflow', 'doUpdate', 'doUpdate']);
    complete(state, [respond.reject('bad', 'invalid'), respond.accept('fails'), respond.reject('fails', 'boom')]);
    const o = outcome(state);
    expect(o.commands.map((c) => c.protocolMessageCommandAttributes?.messageId)).toEqual(['fails/request/accept', 'fails/request/complete']);
    const bodies = o.messages.map(decodeBody);
    expect(bodies.map((b) => b.type)).toEqual(['Rejection', 'Acceptance', 'Response']);
    expect(bodies[0]!.body).toMatchObject({ rejectedRequestMessageId: 'bad/request', failure: { message: 'invalid' } });
    expect(bodies[2]!.body).toMatchObject({ outcome: { failure: { message: 'boom' } } });
  });

  it('delivers each request right after its sequencing event: before or after a signal of the same task', () => {
    for (const [sequencingEventId, expected] of [
      [4, ['doUpdate', 'signalWorkflow']],
      [5, ['signalWorkflow', 'doUpdate']],
    ] as const) {
      const h = new HistoryBuilder().started().workflowTask().signaled('s', 1).workflowTask({ complete: false });
      const state = newRun();
      state.applyWorkflowTask({ events: h.events, previousStartedEventId: 3, startedEventId: 7, messages: [requestMessage('u', sequencingEventId)] });
      state.nextActivation();
      complete(state, []);
      expect(variants(state.nextActivation())).toEqual(expected);
    }
  });

  it('replay: an UpdateAccepted event one task ahead delivers the request without the validator; no messages go out', () => {
    const h = new HistoryBuilder().started().workflowTask();
    const acc = accepted(h, 'u1', 2);
    updateCompleted(h, 'u1', acc);
    h.workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 3, startedEventId: h.lastStartedId });
    const first = state.nextActivation()!;
    expect(variants(first)).toEqual(['initializeWorkflow', 'doUpdate']);
    expect(first.jobs[1]!.doUpdate!.runValidator).toBe(false);
    expect(first.isReplaying).toBe(true);
    complete(state, [respond.accept('u1'), respond.complete('u1', 2)]);
    expect(state.nextActivation()).toBeUndefined();
    const o = outcome(state);
    expect(o.commands).toEqual([]);
    expect(o.messages).toEqual([]);
  });

  it('replay: code that no longer accepts the update fails with nondeterminism at UpdateAccepted', () => {
    const h = new HistoryBuilder().started().workflowTask();
    accepted(h, 'u1', 2);
    h.workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 3, startedEventId: h.lastStartedId });
    state.nextActivation();
    expect(() => complete(state, [respond.reject('u1', 'changed my mind')])).toThrow(/event 5 \(WorkflowExecutionUpdateAccepted: update id 'u1'\)/);
    const o = state.takeTaskOutcome();
    expect(o.kind).toBe('fail');
  });

  it('UpdateAdmitted: delivered live right after the event; on replay it waits for UpdateAccepted', () => {
    const admitted = (h: HistoryBuilder) =>
      append(h, T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED, { workflowExecutionUpdateAdmittedEventAttributes: { request: request('uws') } });
    const live = new HistoryBuilder().started();
    admitted(live);
    live.workflowTask({ complete: false });
    const a = newRun();
    a.applyWorkflowTask({ events: live.events, previousStartedEventId: 0, startedEventId: live.lastStartedId });
    const activation = a.nextActivation()!;
    expect(variants(activation)).toEqual(['initializeWorkflow', 'doUpdate']);
    expect(activation.jobs[1]!.doUpdate!.runValidator).toBe(true);
    complete(a, [respond.accept('uws')]);
    expect(decodeBody(outcome(a).messages[0]!).body).toMatchObject({ acceptedRequestMessageId: 'uws/request', acceptedRequestSequencingEventId: '2' });

    const replay = new HistoryBuilder().started();
    admitted(replay);
    replay.workflowTask();
    accepted(replay, 'uws', 2);
    replay.workflowTask({ complete: false });
    const b = newRun();
    b.applyWorkflowTask({ events: replay.events, previousStartedEventId: 4, startedEventId: replay.lastStartedId });
    const again = b.nextActivation()!;
    expect(variants(again)).toEqual(['initializeWorkflow', 'doUpdate']);
    expect(again.jobs[1]!.doUpdate!.runValidator).toBe(false);
    complete(b, [respond.accept('uws')]);
    expect(b.nextActivation()).toBeUndefined();
  });

  it('a discarded speculative task is rewound: the next task reuses its event ids', () => {
    const h = new HistoryBuilder().started().workflowTask();
    const state = newRun();
    state.applyWorkflowTask({ events: h.events.slice(0, 3), previousStartedEventId: 0, startedEventId: 3 });
    state.nextActivation();
    complete(state, []);
    outcome(state);
    // The speculative task: 4 completed, 5 scheduled, 6 started; the update is rejected.
    const spec = new HistoryBuilder().started().workflowTask().workflowTask({ complete: false });
    state.applyWorkflowTask({ events: spec.events.slice(3), previousStartedEventId: 3, startedEventId: 6, messages: [requestMessage('no', 5)] });
    expect(variants(state.nextActivation())).toEqual(['doUpdate']);
    complete(state, [respond.reject('no', 'invalid')]);
    expect(outcome(state).commands).toEqual([]);
    state.discardSpeculativeTask(3);
    expect(state.lastStartedEventId).toBe(3);
    // History still ends at 4; a signal then writes 5, and the next task takes ids 6 and 7.
    const next = new HistoryBuilder().started().workflowTask().signaled('s', 1).workflowTask({ complete: false });
    state.applyWorkflowTask({ events: next.events.slice(3), previousStartedEventId: 3, startedEventId: 7 });
    expect(variants(state.nextActivation())).toEqual(['signalWorkflow']);
  });

  it('an answer for an update never delivered is a WORKFLOW_UPDATE_PROTOCOL error', () => {
    const h = new HistoryBuilder().started().workflowTask({ complete: false });
    const state = newRun();
    state.applyWorkflowTask({ events: h.events, previousStartedEventId: 0, startedEventId: 3 });
    state.nextActivation();
    expect(() => complete(state, [respond.accept('ghost')])).toThrow(expect.objectContaining({ code: 'WORKFLOW_UPDATE_PROTOCOL' }));
  });
});
