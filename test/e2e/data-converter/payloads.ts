/** Reading payloads out of a raw history, as the server stores them. */
import type proto from '@temporalio/proto';

type Payload = proto.temporal.api.common.v1.IPayload;

/** Every payload in `value` (a history, an event...), found by shape: `metadata` beside `data`. */
export function payloadsIn(value: unknown, out: Payload[] = []): Payload[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return out;
  if ('metadata' in value && 'data' in value && ArrayBuffer.isView((value as Payload).data)) {
    out.push(value as Payload);
    return out;
  }
  for (const child of Object.values(value)) payloadsIn(child, out);
  return out;
}

export const encodingOf = (payload: Payload): string => new TextDecoder().decode(payload.metadata?.encoding ?? new Uint8Array());

/** The event types (without the EVENT_TYPE_ prefix) whose attributes carry a payload, and their encodings. */
export function encodingsByEvent(history: proto.temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((event) => {
    const { eventId: _id, eventTime: _t, eventType: _type, taskId: _task, ...rest } = event as Record<string, unknown>;
    return payloadsIn(rest).map((p) => `${eventName(event)}:${encodingOf(p)}`);
  });
}

function eventName(event: proto.temporal.api.history.v1.IHistoryEvent): string {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes') && (event as Record<string, unknown>)[k] != null) ?? '?';
  return key.replace(/EventAttributes$/, '');
}
