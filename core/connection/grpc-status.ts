/**
 * gRPC status codes, with the names and numbers of `@grpc/grpc-js`'s `status` enum (the codes are
 * gRPC's own, the same in every implementation). Here so that code that only needs a code does not
 * load grpc-js (~20–40 ms of a start): the default transport is node:http2, and grpc-js loads only
 * for `transport: 'grpc-js'` or a `proxy` (test/unit/connection/grpc-status.test.ts checks the
 * values against grpc-js).
 */
export const status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/**
 * A gRPC status code. Any number, as grpc-js's numeric enum type accepts: a status read off the
 * wire is not known to be one of {@link status}.
 */
export type status = number;

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(status).map(([name, code]) => [code, name]));

/** The code's name (`NOT_FOUND`), or undefined for a number that is not a gRPC status. */
export function statusName(code: number): string | undefined {
  return NAMES.get(code);
}
