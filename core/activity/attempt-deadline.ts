import { optionalTsToMs, tsToMs } from '@temporalio/common/lib/time.js';
import type { temporal } from '../connection/proto.js';

type ActivityTask = temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;

/**
 * The latest moment (epoch ms, local clock) the server could still accept an answer for this
 * attempt: its start-to-close from when we received it, or its schedule-to-close from when it was
 * scheduled, whichever comes first. Undefined when the task carries neither (the caller then
 * falls back on its fixed number of retries).
 *
 * Answers are retried until then, so an outage shorter than the task's own timeout loses no
 * result; past it the server has timed the attempt out and retries it anyway.
 */
export function attemptDeadline(task: ActivityTask, receivedAt: number): number | undefined {
  const startToClose = optionalTsToMs(task.startToCloseTimeout);
  const scheduleToClose = optionalTsToMs(task.scheduleToCloseTimeout);
  const candidates: number[] = [];
  if (startToClose) candidates.push(receivedAt + startToClose);
  if (scheduleToClose && task.scheduledTime) candidates.push(tsToMs(task.scheduledTime) + scheduleToClose);
  return candidates.length ? Math.min(...candidates) : undefined;
}
