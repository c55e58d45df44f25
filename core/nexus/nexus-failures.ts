/**
 * How a Nexus handler's outcome becomes what the server expects, as the official worker answers:
 * input decoded through the entity's data converter (a payload it cannot read is the caller's
 * fault: BAD_REQUEST), an OperationError as a non-retryable `OperationError` ApplicationFailure
 * (or a CancelledFailure for a cancelled one), anything else thrown as a HandlerError, mapped from
 * gRPC status codes when a client call failed. A server that does not take Temporal failures in
 * Nexus answers gets the older Nexus failure shape, as the official core converts it.
 */
import { status } from '../connection/grpc-status.js';
import {
  ApplicationFailure,
  CancelledFailure,
  fromPayloadWithTypeInfo,
  WorkflowExecutionAlreadyStartedError,
  type LoadedDataConverter,
  type TypeInfo,
} from '@temporalio/common';
import { decodeOptionalSingle, encodeErrorToFailure } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import * as nexus from 'nexus-rpc';
import { temporal } from '../connection/proto.js';

type IFailure = temporal.api.failure.v1.IFailure;
type INexusFailure = temporal.api.nexus.v1.IFailure;

/** A converter or codec says the input is invalid (not that it broke): the official type name. */
const PAYLOAD_VALIDATION_ERROR_TYPE = 'PayloadValidationError';

const isValidationFailure = (err: unknown): boolean =>
  err instanceof ApplicationFailure && err.nonRetryable === true && err.type === PAYLOAD_VALIDATION_ERROR_TYPE;

/** The operation's input; a failing codec is INTERNAL, a failing converter BAD_REQUEST. */
export async function decodeInput(dc: LoadedDataConverter, payload: temporal.api.common.v1.IPayload | null | undefined, typeInfo: TypeInfo | undefined): Promise<unknown> {
  const rethrow = (err: unknown, type: nexus.HandlerErrorType, message: string): never => {
    if (isValidationFailure(err)) throw new nexus.HandlerError('BAD_REQUEST', 'Invalid operation input', { cause: err });
    if (err instanceof ApplicationFailure || err instanceof nexus.HandlerError) throw err;
    throw new nexus.HandlerError(type, message, { cause: err });
  };
  const decoded = await decodeOptionalSingle(dc.payloadCodecs, payload).catch((err: unknown) => rethrow(err, 'INTERNAL', 'Payload codec failed to decode Nexus operation input'));
  if (decoded == null) return undefined;
  try {
    return fromPayloadWithTypeInfo(dc.payloadConverter, decoded, undefined, typeInfo);
  } catch (err) {
    return rethrow(err, 'BAD_REQUEST', 'Payload converter failed to decode Nexus operation input');
  }
}

export async function operationErrorFailure(dc: LoadedDataConverter, err: nexus.OperationError): Promise<IFailure> {
  const converted =
    err.state === 'canceled'
      ? new CancelledFailure(err.message, undefined, err.cause)
      : ApplicationFailure.create({ message: err.message, type: 'OperationError', nonRetryable: true, cause: err.cause instanceof Error ? err.cause : undefined });
  converted.stack = err.stack;
  return encodeErrorToFailure(dc, converted);
}

export async function handlerErrorFailure(dc: LoadedDataConverter, err: unknown): Promise<IFailure> {
  return encodeErrorToFailure(dc, toHandlerError(err));
}

const GRPC_HANDLER_TYPES = new Map<number, { type: nexus.HandlerErrorType; retryable?: false }>([
  [status.INVALID_ARGUMENT, { type: 'BAD_REQUEST' }],
  [status.ALREADY_EXISTS, { type: 'INTERNAL', retryable: false }],
  [status.FAILED_PRECONDITION, { type: 'INTERNAL', retryable: false }],
  [status.OUT_OF_RANGE, { type: 'INTERNAL', retryable: false }],
  [status.ABORTED, { type: 'UNAVAILABLE' }],
  [status.UNAVAILABLE, { type: 'UNAVAILABLE' }],
  [status.NOT_FOUND, { type: 'NOT_FOUND' }],
  [status.RESOURCE_EXHAUSTED, { type: 'RESOURCE_EXHAUSTED' }],
  [status.UNIMPLEMENTED, { type: 'NOT_IMPLEMENTED' }],
  [status.DEADLINE_EXCEEDED, { type: 'UPSTREAM_TIMEOUT' }],
]);

/**
 * Anything a handler threw, as the HandlerError the official worker makes of it. A client call's
 * failure keeps its gRPC meaning (a `ServiceError` around a gRPC error); auth failures of our own
 * calls stay INTERNAL and retryable, since the caller did nothing wrong.
 */
export function toHandlerError(err: unknown): nexus.HandlerError {
  if (err instanceof nexus.HandlerError) return err;
  if (err instanceof WorkflowExecutionAlreadyStartedError || (err instanceof Error && err.name === 'ActivityExecutionAlreadyStartedError')) {
    return new nexus.HandlerError('INTERNAL', undefined, { cause: err, retryableOverride: false });
  }
  if (err instanceof ApplicationFailure && err.nonRetryable) {
    return new nexus.HandlerError('INTERNAL', 'Handler failed with non-retryable application error', { cause: err, retryableOverride: false });
  }
  const grpcCode = err instanceof Error && err.name === 'ServiceError' ? (err.cause as { code?: unknown } | undefined)?.code : undefined;
  const mapped = typeof grpcCode === 'number' ? GRPC_HANDLER_TYPES.get(grpcCode) : undefined;
  if (mapped) return new nexus.HandlerError(mapped.type, undefined, { cause: err, retryableOverride: mapped.retryable });
  return new nexus.HandlerError('INTERNAL', undefined, { cause: err });
}

/**
 * A Temporal failure in the older Nexus shape: the message apart, the rest as JSON details
 * typed `temporal.api.failure.v1.Failure`, which the server turns back into the failure.
 */
export function toNexusFailure(failure: IFailure): INexusFailure {
  const { message, ...rest } = failure;
  return {
    message: message ?? '',
    stackTrace: failure.stackTrace ?? '',
    metadata: { type: 'temporal.api.failure.v1.Failure' },
    details: Buffer.from(JSON.stringify(temporal.api.failure.v1.Failure.fromObject(rest).toJSON())),
  };
}
