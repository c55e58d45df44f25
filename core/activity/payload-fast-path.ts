/**
 * `@temporalio/common`'s payload helpers without their promises when the data converter has no
 * payload codec, the usual case: with no codec, `decodeArrayFromPayloads` is `arrayFromPayloads`
 * and `encodeToPayloads` is `toPayloads`, each behind three or four async calls. On the activity
 * path those promises were a fifth of what each task allocated (every promise also pays the
 * AsyncLocalStorage hook the activity Context turns on); with codecs the async helpers run as before.
 */
import { arrayFromPayloads, toPayloads, type LoadedDataConverter, type Payload } from '@temporalio/common';
import { decodeArrayFromPayloads, encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';

/** The values of `payloads`, decoded: at once without codecs. */
export function decodeArray(converter: LoadedDataConverter, payloads: Payload[] | null | undefined): unknown[] | Promise<unknown[]> {
  if (converter.payloadCodecs.length === 0) return arrayFromPayloads(converter.payloadConverter, payloads ?? undefined);
  return decodeArrayFromPayloads(converter, payloads ?? undefined);
}

/** `values` as payloads, encoded: at once without codecs. */
export function encodeArray(converter: LoadedDataConverter, ...values: unknown[]): Payload[] | undefined | Promise<Payload[] | undefined> {
  if (converter.payloadCodecs.length === 0) return toPayloads(converter.payloadConverter, ...values);
  return encodeToPayloads(converter, ...values);
}
