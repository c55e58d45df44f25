/**
 * The wire format of local activity markers, identical to the official core's so that either
 * runtime replays the other's histories: marker `core_local_activity` whose details hold, under
 * `data`, one `json/plain` payload with the marker data in snake_case (seq, attempt, activity id
 * and type, complete time, backoff, original schedule time), under `result` the activity's result
 * payload when it completed; a failed, timed-out or cancelled activity's failure is the marker's
 * `failure`.
 */
import type proto from '@temporalio/proto';
import { EventType, eventTypeOf, int64, toNumber, type IFailure, type IHistoryEvent, type Int64Like, type IPayload, type ITimestamp } from './proto-types.js';

type IPayloads = proto.temporal.api.common.v1.IPayloads;
type IDuration = proto.google.protobuf.IDuration;

export const LOCAL_ACTIVITY_MARKER_NAME = 'core_local_activity';
const DATA_KEY = 'data';
const RESULT_KEY = 'result';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** What a marker says about one local activity (`LocalActivityMarkerData` in the core's protos). */
export interface LocalActivityMarkerData {
  seq: number;
  attempt: number;
  activityId: string;
  activityType: string;
  completeTime: ITimestamp | null;
  backoff: IDuration | null;
  originalScheduleTime: ITimestamp | null;
}

/** A decoded marker: its data, and either the result payload or the failure. */
export interface LocalActivityMarker {
  data: LocalActivityMarkerData;
  result: { ok: true; payload: IPayload } | { ok: false; failure: IFailure };
}

interface WireTime {
  seconds: number;
  nanos: number;
}

/** The RecordMarker attributes for a resolved local activity. */
export function encodeLocalActivityMarker(
  data: LocalActivityMarkerData,
  result: IPayload | null | undefined,
  failure: IFailure | null | undefined,
): proto.temporal.api.command.v1.IRecordMarkerCommandAttributes {
  // Field order as the official core serialises them, for byte-identical payloads.
  const wire = {
    seq: data.seq,
    attempt: data.attempt,
    activity_id: data.activityId,
    activity_type: data.activityType,
    complete_time: toWire(data.completeTime),
    backoff: toWire(data.backoff),
    original_schedule_time: toWire(data.originalScheduleTime),
  };
  const details: Record<string, IPayloads> = {
    [DATA_KEY]: { payloads: [{ metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(JSON.stringify(wire)) }] },
  };
  if (result) details[RESULT_KEY] = { payloads: [result] };
  return { markerName: LOCAL_ACTIVITY_MARKER_NAME, details, header: null, failure: failure ?? null };
}

/** The marker of `event` when it is a well-formed local activity marker, else undefined. */
export function localActivityMarkerOf(event: IHistoryEvent): LocalActivityMarker | undefined {
  if (!isLocalActivityMarker(event)) return undefined;
  const attrs = event.markerRecordedEventAttributes!;
  const data = decodeData(attrs.details?.[DATA_KEY]?.payloads?.[0]);
  if (!data) return undefined;
  const payload = attrs.details?.[RESULT_KEY]?.payloads?.[0];
  // As the official core reads it: a failure wins; neither means an empty result.
  const result = attrs.failure ? { ok: false as const, failure: attrs.failure } : { ok: true as const, payload: payload ?? {} };
  return { data, result };
}

export function isLocalActivityMarker(event: IHistoryEvent): boolean {
  return eventTypeOf(event) === EventType.EVENT_TYPE_MARKER_RECORDED && event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER_NAME;
}

function decodeData(payload: IPayload | null | undefined): LocalActivityMarkerData | undefined {
  if (!payload?.data) return undefined;
  try {
    const raw = JSON.parse(fromUtf8.decode(toBytes(payload.data))) as Record<string, unknown>;
    const pick = (snake: string, camel: string): unknown => raw[snake] ?? raw[camel];
    const seq = pick('seq', 'seq');
    if (typeof seq !== 'number') return undefined;
    return {
      seq,
      attempt: Number(pick('attempt', 'attempt') ?? 0),
      activityId: String(pick('activity_id', 'activityId') ?? ''),
      activityType: String(pick('activity_type', 'activityType') ?? ''),
      completeTime: fromWire(pick('complete_time', 'completeTime')),
      backoff: fromWire(pick('backoff', 'backoff')),
      originalScheduleTime: fromWire(pick('original_schedule_time', 'originalScheduleTime')),
    };
  } catch {
    return undefined;
  }
}

function toWire(t: ITimestamp | IDuration | null | undefined): WireTime | null {
  if (!t) return null;
  return { seconds: toNumber(t.seconds as Int64Like), nanos: t.nanos ?? 0 };
}

function fromWire(value: unknown): { seconds: ReturnType<typeof int64>; nanos: number } | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as { seconds?: unknown; nanos?: unknown };
  return { seconds: int64(Number(v.seconds ?? 0)), nanos: Number(v.nanos ?? 0) };
}

function toBytes(data: Uint8Array | string): Uint8Array {
  // Hand-written JSON fixtures carry bytes as base64 strings.
  return typeof data === 'string' ? Buffer.from(data, 'base64') : data;
}
