/**
 * Synthetic activity tasks: each poll gets a fresh one (unique token, the activity type the worker
 * registers, a unique input encoded by the default converter); the answer must complete that
 * token once, with the activity's result for that input.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { msNumberToTs } from '@temporalio/common/lib/time.js';
import type { temporal } from '../../core/connection/proto.js';
import { AnswerChecks, sameValue } from './answer-checks.js';

type ActivityTask = temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;
type Completed = temporal.api.workflowservice.v1.IRespondActivityTaskCompletedRequest;

/** The activity the benchmark's workers register: returns its argument. */
export const ACTIVITY_TYPE = 'echo';

export class ActivityTasks {
  readonly checks = new AnswerChecks();
  private readonly open = new Map<string, unknown>();
  private seq = 0;

  constructor(private readonly namespace: string) {}

  get outstanding(): number {
    return this.open.size;
  }

  /** A new task for `taskQueue`. */
  next(taskQueue: string): ActivityTask {
    const n = ++this.seq;
    const token = Buffer.from(`act/${n}`);
    const input = `in-${n}`;
    this.open.set(token.toString('latin1'), input);
    const now = msNumberToTs(Date.now());
    return {
      taskToken: token,
      workflowNamespace: this.namespace,
      workflowType: { name: 'fakeWorkflow' },
      workflowExecution: { workflowId: `fake-wf-${n}`, runId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` },
      activityType: { name: ACTIVITY_TYPE },
      activityId: '1',
      header: {},
      input: { payloads: [defaultPayloadConverter.toPayload(input)] },
      scheduledTime: now,
      currentAttemptScheduledTime: now,
      startedTime: now,
      attempt: 1,
      scheduleToCloseTimeout: {},
      startToCloseTimeout: msNumberToTs(60_000),
      heartbeatTimeout: {},
      retryPolicy: { initialInterval: msNumberToTs(1_000), backoffCoefficient: 2, maximumInterval: msNumberToTs(100_000) },
    };
  }

  /** Checks a RespondActivityTaskCompleted; false when the token is unknown or already answered. */
  completed(req: Completed): boolean {
    const key = Buffer.from(req.taskToken ?? []).toString('latin1');
    if (!this.open.has(key)) {
      this.checks.wrong('activity-token', `RespondActivityTaskCompleted for unknown or already answered token ${key}`);
      return false;
    }
    const expected = this.open.get(key);
    this.open.delete(key);
    const payloads = req.result?.payloads ?? [];
    let got: unknown;
    try {
      got = payloads.length === 1 ? defaultPayloadConverter.fromPayload(payloads[0]!) : `<${payloads.length} payloads>`;
    } catch (err) {
      got = `<undecodable: ${(err as Error).message}>`;
    }
    if (sameValue(got, expected)) this.checks.ok();
    else this.checks.wrong('activity-result', `token ${key}: result ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    return true;
  }

  /** A failed or cancelled answer is always a mismatch here: the echo activity cannot fail. */
  failed(method: string, token: Uint8Array | null | undefined, why: string): boolean {
    const key = Buffer.from(token ?? []).toString('latin1');
    const known = this.open.delete(key);
    this.checks.wrong('activity-failed', `${method} for ${known ? '' : 'unknown '}token ${key}: ${why}`);
    return known;
  }
}
