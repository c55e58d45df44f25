/**
 * The Workflow Update side of one run's event loop, kept out of workflow-machines.ts: which update
 * requests are waiting to be delivered, the machine of each update, and the protocol messages to
 * send with the task completion.
 *
 * Delivery follows the official core. A request is handed to the workflow (a DoUpdate job) just
 * before the first event after its sequencing event is applied, so the handler sees exactly the
 * history the server sequenced it after, and in the same activation as that history's signals and
 * timers. On replay no request message comes: each UpdateAccepted event found one task ahead
 * stands for the request the original run received, delivered with `runValidator: false`.
 */
import type proto from '@temporalio/proto';
import { UpdateProtocolError } from './errors.js';
import type { MachineContext } from './machines/command-machine.js';
import { UpdateMachine } from './machines/update-machine.js';
import { EventType, eventTypeOf, type IHistoryEvent } from './proto-types.js';
import { doUpdateJob, incomingFromAccepted, incomingFromAdmitted, incomingFromMessage, type IncomingUpdate, type IProtocolMessage } from './update-messages.js';

type IUpdateResponse = proto.coresdk.workflow_commands.IUpdateResponse;

export class UpdateProtocol {
  /** Requests received with the current task and not yet delivered, in the server's order. */
  private pending: IncomingUpdate[] = [];
  /** UpdateAdmitted events seen while replaying, by instance id, for their UpdateAccepted event. */
  private readonly admitted = new Map<string, IncomingUpdate>();
  private readonly machines = new Map<string, UpdateMachine>();
  private outbox: IProtocolMessage[] = [];

  /** `context()` gives the run's machine context as it is now (its replaying flag changes). */
  constructor(private readonly context: () => MachineContext) {}

  /** The poll response's `messages`: queued until their sequencing event has been applied. */
  receive(messages: readonly IProtocolMessage[] | null | undefined): void {
    for (const m of messages ?? []) this.pending.push(incomingFromMessage(m));
  }

  /** Delivers the requests sequenced before event `eventId`; call before applying that event. */
  deliverBefore(eventId: number): void {
    if (this.pending.length === 0) return;
    const due = this.pending.filter((u) => u.sequencingEventId < eventId);
    if (due.length === 0) return;
    this.pending = this.pending.filter((u) => u.sequencingEventId >= eventId);
    for (const u of due) this.start(u);
  }

  /** Requests whose sequencing event lies past the history given (none from a correct server). */
  deliverRest(): void {
    const rest = this.pending;
    this.pending = [];
    for (const u of rest) this.start(u);
  }

  /**
   * A durable request in history. Live, it is delivered like a message (right after this event);
   * on replay it waits for its UpdateAccepted event, which may never come (a rejected request).
   */
  onAdmitted(event: IHistoryEvent): void {
    const update = incomingFromAdmitted(event);
    if (this.context().replaying) this.admitted.set(update.protocolInstanceId, update);
    else this.pending.push(update);
  }

  /** Replay: UpdateAccepted events of the next task mean the original run got these requests now. */
  announceAhead(nextTask: readonly IHistoryEvent[]): void {
    for (const e of nextTask) {
      if (eventTypeOf(e) !== EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) continue;
      const instanceId = e.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId ?? '';
      // Already started from the same history (the lookahead of an earlier, re-applied sequence).
      if (this.machines.has(instanceId)) continue;
      const update = this.admitted.get(instanceId) ?? incomingFromAccepted(e);
      this.admitted.delete(instanceId);
      this.start(update);
    }
  }

  /** The workflow code's UpdateResponse command. */
  respond(response: IUpdateResponse, ctx: MachineContext): void {
    const id = response.protocolInstanceId ?? '';
    const machine = this.machines.get(id);
    if (!machine) throw new UpdateProtocolError(`The workflow answered update instance '${id}', which this run never delivered.`);
    if (response.accepted) machine.accept(ctx);
    else if (response.rejected) machine.reject(response.rejected, ctx);
    else if (response.completed) machine.complete(response.completed, ctx);
    else throw new UpdateProtocolError(`The workflow's response to ${machine.label} is empty.`);
  }

  /** Messages for the task completion (Acceptance, Rejection, Response), in the order made. */
  takeOutgoing(): IProtocolMessage[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  private start(update: IncomingUpdate): void {
    const ctx = this.context();
    // Finished updates are kept only until the next one starts: a long run takes many updates.
    for (const [id, m] of this.machines) if (m.isFinal) this.machines.delete(id);
    this.machines.set(update.protocolInstanceId, new UpdateMachine(update, (m) => this.outbox.push(m)));
    ctx.pushJob(doUpdateJob(update, !ctx.replaying));
  }
}
