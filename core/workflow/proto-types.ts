/**
 * Short names for the protobuf types this layer speaks, and conversions for their loose fields
 * (int64 ids arrive as Long, number or string depending on who decoded them).
 */
import * as proto from '../connection/proto.js';

export type IHistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
export type ICommand = proto.temporal.api.command.v1.ICommand;
export type IPayload = proto.temporal.api.common.v1.IPayload;
export type IFailure = proto.temporal.api.failure.v1.IFailure;
export type ITimestamp = proto.google.protobuf.ITimestamp;
export type IWorkflowQuery = proto.temporal.api.query.v1.IWorkflowQuery;
export type IWorkflowQueryResult = proto.temporal.api.query.v1.IWorkflowQueryResult;
export type IWorkflowActivation = proto.coresdk.workflow_activation.IWorkflowActivation;
export type IWorkflowActivationJob = proto.coresdk.workflow_activation.IWorkflowActivationJob;
export type IWorkflowCommand = proto.coresdk.workflow_commands.IWorkflowCommand;
export type IWorkflowActivationCompletion = proto.coresdk.workflow_completion.IWorkflowActivationCompletion;
export type IQueryResult = proto.coresdk.workflow_commands.IQueryResult;
export type IWorkflowTaskCompletedMetadata = proto.temporal.api.sdk.v1.IWorkflowTaskCompletedMetadata;

export const EventType = proto.temporal.api.enums.v1.EventType;
export const CommandType = proto.temporal.api.enums.v1.CommandType;

/** Anything protobufjs may hand us for an int64 field. */
export type Int64Like = number | string | { toNumber(): number } | null | undefined;

export function toNumber(value: Int64Like): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}

export function eventIdOf(event: IHistoryEvent): number {
  return toNumber(event.eventId as Int64Like);
}

/** Enum values may come as numbers (decoded) or names (hand-written JSON); normalise to the number. */
export function eventTypeOf(event: IHistoryEvent): number {
  const t = event.eventType as unknown;
  if (typeof t === 'string') return (EventType as unknown as Record<string, number>)[t] ?? 0;
  return (t as number | null | undefined) ?? 0;
}

/** `EVENT_TYPE_TIMER_STARTED` → `TimerStarted`, for messages people read. */
export function eventTypeName(type: number): string {
  const raw = (EventType as unknown as Record<number, string>)[type];
  return raw ? pascal(raw.replace(/^EVENT_TYPE_/, '')) : `EventType(${type})`;
}

export function commandTypeName(type: number): string {
  const raw = (CommandType as unknown as Record<number, string>)[type];
  return raw ? pascal(raw.replace(/^COMMAND_TYPE_/, '')) : `CommandType(${type})`;
}

/**
 * `SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND` with
 * prefix `SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_` → `ExternalWorkflowExecutionNotFound`,
 * the name the official core gives an API enum value in failures it builds.
 */
export function enumCaseName(values: object, value: number, prefix: string): string {
  const raw = (values as Record<number, string>)[value];
  return raw ? pascal(raw.replace(prefix, '')) : String(value);
}

function pascal(snake: string): string {
  return snake
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** Orders two timestamps; a missing one sorts first. */
export function compareTimestamps(a: ITimestamp | null | undefined, b: ITimestamp | null | undefined): number {
  const sa = toNumber(a?.seconds as Int64Like);
  const sb = toNumber(b?.seconds as Int64Like);
  if (sa !== sb) return sa < sb ? -1 : 1;
  return (a?.nanos ?? 0) - (b?.nanos ?? 0);
}

/** protobufjs's int64 type as the generated typings name it. */
export type Int64 = NonNullable<IHistoryEvent['eventId']>;

/** protobufjs encodes and converts plain numbers in int64 fields; only the typings insist on Long. */
export function int64(value: number): Int64 {
  return value as unknown as Int64;
}

/** A Duration or Timestamp in milliseconds, whatever form its int64 seconds took; undefined when absent. */
export function durationMs(d: { seconds?: Int64Like; nanos?: number | null } | null | undefined): number | undefined {
  if (!d) return undefined;
  return toNumber(d.seconds) * 1000 + (d.nanos ?? 0) / 1e6;
}
