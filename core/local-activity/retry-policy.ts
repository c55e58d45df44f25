/**
 * The retry rules of a local activity, applied by the worker itself (the server retries normal
 * activities; nobody else retries local ones). Same defaults and arithmetic as the official core,
 * so both workers wait the same backoffs and record the same attempts in their markers.
 */
import type proto from '@temporalio/proto';
import { durationMs, int64 } from '../workflow/proto-types.js';

type IRetryPolicy = proto.temporal.api.common.v1.IRetryPolicy;
type IFailure = proto.temporal.api.failure.v1.IFailure;

/** A retry policy with every field filled in and valid. */
export interface LocalRetryPolicy {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** 0: unlimited. */
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

/** Fills the gaps of `policy` as the official core does: 1 s, ×2, 100 × initial, unlimited. */
export function localRetryPolicy(policy: IRetryPolicy | null | undefined): LocalRetryPolicy {
  const initial = positiveMs(policy?.initialInterval) ?? 1000;
  const coefficient = (policy?.backoffCoefficient ?? 0) >= 1 ? policy!.backoffCoefficient! : 2;
  const maximum = positiveMs(policy?.maximumInterval);
  return {
    initialIntervalMs: initial,
    backoffCoefficient: coefficient,
    maximumIntervalMs: maximum === undefined ? initial * 100 : Math.max(maximum, initial),
    maximumAttempts: Math.max(0, policy?.maximumAttempts ?? 0),
    nonRetryableErrorTypes: [...(policy?.nonRetryableErrorTypes ?? [])],
  };
}

/**
 * How long to wait before attempt `attempt + 1` after `failure` ended attempt `attempt`, or
 * undefined when the activity must not be retried (attempts used up, a non-retryable failure).
 * Failures other than application failures (timeouts) are always retryable.
 */
export function retryDelayMs(policy: LocalRetryPolicy, attempt: number, failure: IFailure | null | undefined): number | undefined {
  if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) return undefined;
  const app = failure?.applicationFailureInfo;
  if (app?.nonRetryable) return undefined;
  const type = (app?.type ?? '').toLowerCase();
  if (policy.nonRetryableErrorTypes.some((t) => t.toLowerCase() === type)) return undefined;
  const explicit = positiveMs(app?.nextRetryDelay);
  if (explicit !== undefined) return explicit;
  if (attempt <= 1) return policy.initialIntervalMs;
  const delay = policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, attempt - 1);
  return Number.isFinite(delay) ? Math.min(delay, policy.maximumIntervalMs) : policy.maximumIntervalMs;
}

/** The policy as the proto the activity's Info shows. */
export function retryPolicyProto(policy: LocalRetryPolicy): IRetryPolicy {
  return {
    initialInterval: msToDuration(policy.initialIntervalMs),
    backoffCoefficient: policy.backoffCoefficient,
    maximumInterval: msToDuration(policy.maximumIntervalMs),
    maximumAttempts: policy.maximumAttempts,
    nonRetryableErrorTypes: policy.nonRetryableErrorTypes,
  };
}

export function msToDuration(ms: number): proto.google.protobuf.IDuration {
  const whole = Math.floor(ms);
  return { seconds: int64(Math.floor(whole / 1000)), nanos: (whole % 1000) * 1_000_000 + Math.round((ms - whole) * 1_000_000) };
}

function positiveMs(d: proto.google.protobuf.IDuration | null | undefined): number | undefined {
  const ms = durationMs(d as Parameters<typeof durationMs>[0]);
  return ms !== undefined && ms > 0 ? ms : undefined;
}
