/**
 * The wire side of the Workflow Update protocol (`temporal.api.protocol.v1.Message` carrying
 * `temporal.api.update.v1` bodies): decoding the requests a workflow task brings, whether in the
 * poll response's `messages` or as UpdateAdmitted / UpdateAccepted history events, and encoding
 * the Acceptance / Rejection / Response messages a task completion sends back.
 *
 * Every update payload (request arguments in, results out) passes through this file only, so a
 * payload codec has one place to hook in.
 */
import * as proto from '../connection/proto.js';
import { HistoryError } from './errors.js';
import { eventIdOf, toNumber, type IFailure, type IHistoryEvent, type Int64Like, type IPayload, type IWorkflowActivationJob } from './proto-types.js';

export type IProtocolMessage = proto.temporal.api.protocol.v1.IMessage;
export type IUpdateRequest = proto.temporal.api.update.v1.IRequest;
type IAny = proto.google.protobuf.IAny;

const Update = proto.temporal.api.update.v1;
const TYPE_URL_PREFIX = 'type.googleapis.com/';
const REQUEST_TYPE = `${TYPE_URL_PREFIX}temporal.api.update.v1.Request`;

/** An update request, from a message or a history event, ready to become a DoUpdate job. */
export interface IncomingUpdate {
  /** Id of the request message: outgoing message ids derive from it (`<id>/accept`...). */
  messageId: string;
  protocolInstanceId: string;
  /** The event after which the request may be handled (the state the handler must see). */
  sequencingEventId: number;
  request: IUpdateRequest;
}

/** Decodes a poll response's protocol message; throws HistoryError for bodies this runtime cannot read. */
export function incomingFromMessage(message: IProtocolMessage): IncomingUpdate {
  const body = message.body as (IAny & { typeUrl?: string | null }) | null | undefined;
  // protobufjs names the field of google.protobuf.Any `type_url`; plain objects may say `typeUrl`.
  const typeUrl = body?.type_url ?? body?.typeUrl ?? '';
  if (typeUrl !== REQUEST_TYPE || !body?.value) {
    throw new HistoryError(`Protocol message '${message.id}' carries '${typeUrl || 'no body'}'; only Workflow Update requests are understood.`);
  }
  const request = Update.Request.decode(body.value);
  checkRequest(request, `protocol message '${message.id}'`);
  return {
    messageId: message.id ?? '',
    protocolInstanceId: message.protocolInstanceId ?? '',
    // A message without a sequencing id may be handled at once.
    sequencingEventId: message.eventId != null ? toNumber(message.eventId as Int64Like) : 0,
    request,
  };
}

/** A durable request (UpdateAdmitted, e.g. update-with-start): the message the server would have sent. */
export function incomingFromAdmitted(event: IHistoryEvent): IncomingUpdate {
  const request = event.workflowExecutionUpdateAdmittedEventAttributes?.request;
  checkRequest(request, `event ${eventIdOf(event)} (WorkflowExecutionUpdateAdmitted)`);
  const updateId = request!.meta!.updateId ?? '';
  return { messageId: `${updateId}/request`, protocolInstanceId: updateId, sequencingEventId: eventIdOf(event), request: request! };
}

/** On replay, an UpdateAccepted event stands for the request the original run received. */
export function incomingFromAccepted(event: IHistoryEvent): IncomingUpdate {
  const a = event.workflowExecutionUpdateAcceptedEventAttributes;
  checkRequest(a?.acceptedRequest, `event ${eventIdOf(event)} (WorkflowExecutionUpdateAccepted)`);
  return {
    messageId: a!.acceptedRequestMessageId ?? '',
    protocolInstanceId: a!.protocolInstanceId ?? '',
    sequencingEventId: toNumber(a!.acceptedRequestSequencingEventId as Int64Like),
    request: a!.acceptedRequest!,
  };
}

function checkRequest(request: IUpdateRequest | null | undefined, where: string): void {
  if (!request?.meta || !request.input) throw new HistoryError(`The update request of ${where} lacks its meta or input.`);
}

/** The activation job that runs the update's validator (unless replaying) and handler in the workflow. */
export function doUpdateJob(update: IncomingUpdate, runValidator: boolean): IWorkflowActivationJob {
  const { meta, input } = update.request;
  return {
    doUpdate: {
      id: meta?.updateId ?? '',
      protocolInstanceId: update.protocolInstanceId,
      name: input?.name ?? '',
      input: input?.args?.payloads ?? [],
      headers: input?.header?.fields ?? {},
      meta,
      runValidator,
    },
  };
}

function message(update: IncomingUpdate, suffix: string, type: string, bytes: Uint8Array): IProtocolMessage {
  return {
    id: `${update.messageId}/${suffix}`,
    protocolInstanceId: update.protocolInstanceId,
    body: { type_url: `${TYPE_URL_PREFIX}temporal.api.update.v1.${type}`, value: bytes },
  };
}

export function acceptanceMessage(update: IncomingUpdate): IProtocolMessage {
  const body = Update.Acceptance.encode({
    acceptedRequestMessageId: update.messageId,
    acceptedRequestSequencingEventId: update.sequencingEventId as never,
    acceptedRequest: update.request,
  }).finish();
  return message(update, 'accept', 'Acceptance', body);
}

export function rejectionMessage(update: IncomingUpdate, failure: IFailure): IProtocolMessage {
  const body = Update.Rejection.encode({
    rejectedRequestMessageId: update.messageId,
    rejectedRequestSequencingEventId: update.sequencingEventId as never,
    rejectedRequest: update.request,
    failure,
  }).finish();
  return message(update, 'reject', 'Rejection', body);
}

/** The update's outcome: the handler's result, or the failure it ended with. */
export function responseMessage(update: IncomingUpdate, outcome: { success: IPayload } | { failure: IFailure }): IProtocolMessage {
  const body = Update.Response.encode({
    meta: update.request.meta,
    outcome: 'success' in outcome ? { success: { payloads: [outcome.success] } } : { failure: outcome.failure },
  }).finish();
  return message(update, 'complete', 'Response', body);
}
