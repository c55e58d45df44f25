import { describe, expect, it } from 'vitest';
import { ApplicationFailure, defaultDataConverter, ensureApplicationFailure } from '@temporalio/common';
import { encodeErrorToFailure, decodeArrayFromPayloads, encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';

// The activity side relies on @temporalio/common's converters; these pin the shapes the server accepts.
describe('activity converters', () => {
  it('a plain Error becomes a retryable ApplicationFailure named after its class', async () => {
    class DbError extends Error {}
    const f = await encodeErrorToFailure(defaultDataConverter, ensureApplicationFailure(new DbError('conn reset')));
    expect(f.applicationFailureInfo).toMatchObject({ type: 'DbError', nonRetryable: false });
    expect(f.message).toBe('conn reset');
  });
  it('keeps type, nonRetryable, details and cause of an ApplicationFailure', async () => {
    const err = ApplicationFailure.create({ type: 'T', message: 'm', nonRetryable: true, details: [{ a: 1 }], cause: new Error('root') });
    const f = await encodeErrorToFailure(defaultDataConverter, err);
    expect(f.applicationFailureInfo?.nonRetryable).toBe(true);
    expect(await decodeArrayFromPayloads(defaultDataConverter, f.applicationFailureInfo?.details?.payloads)).toEqual([{ a: 1 }]);
    expect(f.cause?.message).toBe('root');
  });
  it('round-trips arguments of several types', async () => {
    const values = [1, 'a', null, { b: [true] }, new Uint8Array([1, 2])];
    const payloads = await encodeToPayloads(defaultDataConverter, ...values);
    expect(await decodeArrayFromPayloads(defaultDataConverter, payloads)).toEqual(values);
  });
});
