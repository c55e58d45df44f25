/**
 * The wire format of patch markers, identical to the official core's so that either runtime can
 * replay the other's histories: marker `core_patch` whose details hold, under `patch-data`, one
 * `json/plain` payload `{"id":"<patch id>","deprecated":<bool>}`.
 */
import type proto from '@temporalio/proto';
import type { IPayload } from './proto-types.js';

type IPayloads = proto.temporal.api.common.v1.IPayloads;

export const PATCH_MARKER_NAME = 'core_patch';
const DETAILS_KEY = 'patch-data';
/** Search attribute the official core upserts after each patch marker (internal flag 2). */
export const CHANGE_VERSION_SEARCH_ATTRIBUTE = 'TemporalChangeVersion';
/** Larger values are skipped by the official core, so we skip them too. */
const MAX_SEARCH_ATTRIBUTE_BYTES = 2048;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function jsonPayload(value: unknown): IPayload {
  return { metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(JSON.stringify(value)) };
}

export function encodePatchMarker(patchId: string, deprecated: boolean): Record<string, IPayloads> {
  // Key order matters for byte-identical payloads: the official core serialises `id` first.
  return { [DETAILS_KEY]: { payloads: [jsonPayload({ id: patchId, deprecated })] } };
}

export function decodePatchMarker(
  details: Record<string, IPayloads | null | undefined>,
): { patchId: string; deprecated: boolean } | undefined {
  const current = details[DETAILS_KEY]?.payloads?.[0];
  if (current) {
    try {
      const parsed = JSON.parse(fromUtf8.decode(toBytes(current.data))) as { id?: unknown; deprecated?: unknown };
      if (typeof parsed.id !== 'string') return undefined;
      return { patchId: parsed.id, deprecated: parsed.deprecated === true };
    } catch {
      return undefined;
    }
  }
  // Older cores wrote the id and flag as raw bytes under separate keys.
  const id = details['patch_id']?.payloads?.[0];
  const deprecated = details['deprecated']?.payloads?.[0];
  if (!id || !deprecated) return undefined;
  return { patchId: fromUtf8.decode(toBytes(id.data)), deprecated: (toBytes(deprecated.data)[0] ?? 0) !== 0 };
}

/**
 * The `TemporalChangeVersion` search attribute listing every patch used so far, or undefined when
 * it would be too large to upsert.
 */
export function changeVersionSearchAttribute(patchIds: Iterable<string>): IPayload | undefined {
  const sorted = [...new Set(patchIds)].sort();
  const payload = jsonPayload(sorted);
  if ((payload.data as Uint8Array).length >= MAX_SEARCH_ATTRIBUTE_BYTES) return undefined;
  payload.metadata = { ...payload.metadata, type: utf8.encode('KeywordList') };
  return payload;
}

function toBytes(data: Uint8Array | string | null | undefined): Uint8Array {
  if (!data) return new Uint8Array();
  // Hand-written JSON fixtures carry bytes as base64 strings.
  return typeof data === 'string' ? Buffer.from(data, 'base64') : data;
}
