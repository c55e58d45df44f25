import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { status, statusName } from '../../../core/connection/grpc-status.js';

describe('grpc-status', () => {
  it("has grpc-js's status names and numbers, all of them", () => {
    const grpcJs = Object.fromEntries(Object.entries(grpc.status).filter(([, v]) => typeof v === 'number'));
    expect(status).toEqual(grpcJs);
  });

  it('names a code as grpc-js does, and nothing for a number that is not one', () => {
    for (const code of Object.values(status)) expect(statusName(code)).toBe(grpc.status[code]);
    expect(statusName(17)).toBeUndefined();
    expect(statusName(-1)).toBeUndefined();
  });
});
