/**
 * Synthetic one-activity workflow runs (`oneActivity(name)` in ./workflows.ts) and the checks of
 * the worker's answers, event for event as the real server writes them (compare
 * `test/fixtures/histories/hello-activity.json`):
 *
 * - task 1: WorkflowExecutionStarted, WorkflowTaskScheduled, WorkflowTaskStarted; the answer must
 *   be one ScheduleActivityTask for `echo` with the workflow's input and a timeout;
 * - task 2: WorkflowTaskCompleted, ActivityTaskScheduled/Started/Completed (a result the fake
 *   chooses), WorkflowTaskScheduled, WorkflowTaskStarted; the answer must be one
 *   CompleteWorkflowExecution with that result. It goes to the sticky queue the first answer
 *   asked for with only those new events, or to the normal queue with the full history, and falls
 *   back to the latter after the sticky schedule-to-start timeout, as the real server does.
 */
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { msNumberToTs, optionalTsToMs } from '@temporalio/common/lib/time.js';
import { temporal } from '../../core/connection/proto.js';
import { AnswerChecks, sameValue } from './answer-checks.js';
import { ACTIVITY_TYPE } from './activity-tasks.js';

type Event = temporal.api.history.v1.IHistoryEvent;
type Task = temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse;
type Completed = temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest;
type Command = temporal.api.command.v1.ICommand;

const ET = temporal.api.enums.v1.EventType;
const CT = temporal.api.enums.v1.CommandType;
const NORMAL = temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;
const STICKY = temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY;

/** The workflow the benchmark's workers register. */
export const WORKFLOW_TYPE = 'oneActivity';
const WFT_TIMEOUT = msNumberToTs(10_000);

type Int64 = NonNullable<ReturnType<typeof msNumberToTs>['seconds']>;
/** protobufjs encodes a plain number in an int64 field; its types only name Long. */
const int64 = (n: number): Int64 => n as unknown as Int64;

interface Run {
  n: number;
  workflowId: string;
  runId: string;
  taskQueue: string;
  input: string;
  /** What the fake says the activity returned; the workflow must return it. */
  activityResult: string;
  events: Event[];
  /** Which workflow task is out (1 or 2), and its token. */
  task: 1 | 2;
  token: string;
  /** The second task while it waits on a sticky queue (for the schedule-to-start fallback). */
  stickyTimer?: NodeJS.Timeout;
}

/** What to do with a sticky task no sticky poll took in time (the schedule-to-start timeout). */
export interface StickyFallback {
  afterMs: number;
  run: () => void;
}

/** Where the second task of a run goes. */
export interface TaskRoute {
  queue: string;
  sticky: boolean;
  task: Task;
}

export class WorkflowRuns {
  readonly checks = new AnswerChecks();
  private readonly runs = new Map<string, Run>();
  private readonly byToken = new Map<string, Run>();
  private seq = 0;
  private tokenSeq = 0;
  /** Sticky second tasks that timed out to the normal queue. */
  stickyFallbacks = 0;

  /**
   * @param route hands a second task to its queue; for a sticky one, `fallback.run` is to be
   *   called if no poll has taken it within `fallback.afterMs`.
   */
  constructor(private readonly route: (r: TaskRoute, fallback?: StickyFallback) => void) {}

  get open(): number {
    return this.runs.size;
  }

  /** The first task of a new run on `taskQueue`. */
  start(taskQueue: string): Task {
    const n = ++this.seq;
    const runId = randomUUID();
    const workflowId = `fake-run-${n}`;
    const input = `run-${n}`;
    const run: Run = { n, workflowId, runId, taskQueue, input, activityResult: `out-${n}`, events: [], task: 1, token: '' };
    const now = msNumberToTs(Date.now());
    const tq = { name: taskQueue, kind: NORMAL };
    this.append(run, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, now, {
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: WORKFLOW_TYPE },
          taskQueue: tq,
          input: { payloads: [defaultPayloadConverter.toPayload(input)] },
          workflowTaskTimeout: WFT_TIMEOUT,
          originalExecutionRunId: runId,
          firstExecutionRunId: runId,
          identity: 'fake-client',
          attempt: 1,
          firstWorkflowTaskBackoff: {},
          header: {},
          workflowId,
        },
      });
    this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, now, { workflowTaskScheduledEventAttributes: { taskQueue: tq, startToCloseTimeout: WFT_TIMEOUT, attempt: 1 } });
    this.runs.set(runId, run);
    return this.startTask(run, 'fake-poller');
  }

  /** The whole history so far (GetWorkflowExecutionHistory, a worker's cache miss). */
  history(runId: string): Event[] | undefined {
    return this.runs.get(runId)?.events;
  }

  /** Checks a RespondWorkflowTaskCompleted; false when the token is unknown or already answered. */
  completed(req: Completed): boolean {
    const key = Buffer.from(req.taskToken ?? []).toString('latin1');
    const run = this.byToken.get(key);
    if (!run) {
      this.checks.wrong('workflow-token', `RespondWorkflowTaskCompleted for unknown or already answered token ${key}`);
      return false;
    }
    this.byToken.delete(key);
    const commands = req.commands ?? [];
    const problem = run.task === 1 ? this.checkFirst(run, commands) : this.checkSecond(run, commands);
    if (problem) {
      this.checks.wrong(`workflow-task-${run.task}`, `${run.workflowId}: ${problem}; commands ${JSON.stringify(commands.map((c) => CT[c.commandType ?? 0]))}`);
      this.runs.delete(run.runId);
      return true;
    }
    this.checks.ok();
    if (run.task === 2) {
      this.runs.delete(run.runId);
      return true;
    }
    this.afterFirst(run, req, commands[0]!.scheduleActivityTaskCommandAttributes!);
    return true;
  }

  /** A failed workflow task is always a mismatch: this workflow cannot fail. */
  failed(req: temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedRequest): boolean {
    const key = Buffer.from(req.taskToken ?? []).toString('latin1');
    const run = this.byToken.get(key);
    this.checks.wrong('workflow-task-failed', `${run?.workflowId ?? `unknown token ${key}`}: ${temporal.api.enums.v1.WorkflowTaskFailedCause[req.cause ?? 0]}: ${req.failure?.message}`);
    if (!run) return false;
    this.byToken.delete(key);
    this.runs.delete(run.runId);
    return true;
  }

  private checkFirst(run: Run, commands: Command[]): string | undefined {
    if (commands.length !== 1 || commands[0]!.commandType !== CT.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK) return 'expected exactly one ScheduleActivityTask';
    const a = commands[0]!.scheduleActivityTaskCommandAttributes;
    if (!a) return 'ScheduleActivityTask without attributes';
    if (a.activityType?.name !== ACTIVITY_TYPE) return `activity type ${a.activityType?.name}, expected ${ACTIVITY_TYPE}`;
    if (!a.activityId) return 'no activity id';
    if (a.taskQueue?.name && a.taskQueue.name !== run.taskQueue) return `activity task queue ${a.taskQueue.name}`;
    // The server refuses an activity with neither timeout.
    if (!optionalTsToMs(a.startToCloseTimeout) && !optionalTsToMs(a.scheduleToCloseTimeout)) return 'neither start-to-close nor schedule-to-close timeout';
    const args = (a.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
    if (!sameValue(args, [run.input])) return `activity input ${JSON.stringify(args)}, expected ${JSON.stringify([run.input])}`;
    return undefined;
  }

  private checkSecond(run: Run, commands: Command[]): string | undefined {
    if (commands.length !== 1 || commands[0]!.commandType !== CT.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION) return 'expected exactly one CompleteWorkflowExecution';
    const payloads = commands[0]!.completeWorkflowExecutionCommandAttributes?.result?.payloads ?? [];
    const result = payloads.length === 1 ? defaultPayloadConverter.fromPayload(payloads[0]!) : `<${payloads.length} payloads>`;
    if (!sameValue(result, run.activityResult)) return `workflow result ${JSON.stringify(result)}, expected ${JSON.stringify(run.activityResult)}`;
    return undefined;
  }

  private afterFirst(run: Run, req: Completed, a: temporal.api.command.v1.IScheduleActivityTaskCommandAttributes): void {
    const now = msNumberToTs(Date.now());
    const completedId = run.events.length + 1;
    const startedId = Number(run.events.at(-1)!.eventId);
    const identity = req.identity ?? '';
    this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, now, {
      workflowTaskCompletedEventAttributes: { scheduledEventId: int64(startedId - 1), startedEventId: int64(startedId), identity, sdkMetadata: req.sdkMetadata, meteringMetadata: {} },
    });
    const scheduledId = completedId + 1;
    this.append(run, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, now, {
        activityTaskScheduledEventAttributes: {
          activityId: a.activityId,
          activityType: a.activityType,
          taskQueue: { name: run.taskQueue, kind: NORMAL },
          header: a.header ?? {},
          input: a.input,
          scheduleToCloseTimeout: a.scheduleToCloseTimeout ?? {},
          scheduleToStartTimeout: a.scheduleToStartTimeout ?? {},
          startToCloseTimeout: a.startToCloseTimeout ?? {},
          heartbeatTimeout: a.heartbeatTimeout ?? {},
          workflowTaskCompletedEventId: int64(completedId),
          retryPolicy: a.retryPolicy,
        },
      });
    this.append(run, ET.EVENT_TYPE_ACTIVITY_TASK_STARTED, now, { activityTaskStartedEventAttributes: { scheduledEventId: int64(scheduledId), identity: 'fake-activity-worker', requestId: randomUUID(), attempt: 1 } });
    this.append(run, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, now, {
        activityTaskCompletedEventAttributes: {
          result: { payloads: [defaultPayloadConverter.toPayload(run.activityResult)] },
          scheduledEventId: int64(scheduledId),
          startedEventId: int64(scheduledId + 1),
          identity: 'fake-activity-worker',
        },
      });
    const sticky = req.stickyAttributes?.workerTaskQueue?.name;
    const scheduledTq = sticky ? { name: sticky, kind: STICKY, normalName: run.taskQueue } : { name: run.taskQueue, kind: NORMAL };
    this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, now, { workflowTaskScheduledEventAttributes: { taskQueue: scheduledTq, startToCloseTimeout: WFT_TIMEOUT, attempt: 1 } });
    run.task = 2;
    const firstNew = completedId - 1; // index of WorkflowTaskCompleted
    if (!sticky) {
      this.route({ queue: run.taskQueue, sticky: false, task: this.startTask(run, identity) });
      return;
    }
    // The sticky task carries only the new events; if no sticky poll takes it in time, the
    // server schedules it again on the normal queue, with the whole history.
    const stickyTask = this.startTask(run, identity, firstNew);
    const afterMs = optionalTsToMs(req.stickyAttributes?.scheduleToStartTimeout) || 10_000;
    this.route({ queue: sticky, sticky: true, task: stickyTask }, {
      afterMs,
      run: () => {
        this.stickyFallbacks++;
        this.byToken.delete(run.token);
        const started = run.events.pop()!; // the sticky attempt was never started
        const scheduledEventId = Number(started.workflowTaskStartedEventAttributes!.scheduledEventId);
        const at = msNumberToTs(Date.now());
        this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, at, {
          workflowTaskTimedOutEventAttributes: { scheduledEventId: int64(scheduledEventId), startedEventId: int64(0), timeoutType: temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START },
        });
        this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, at, { workflowTaskScheduledEventAttributes: { taskQueue: { name: run.taskQueue, kind: NORMAL }, startToCloseTimeout: WFT_TIMEOUT, attempt: 1 } });
        this.route({ queue: run.taskQueue, sticky: false, task: this.startTask(run, identity) });
      },
    });
  }

  /** Appends WorkflowTaskStarted and makes the poll response; `from` cuts the events to the new ones. */
  private startTask(run: Run, identity: string, from = 0): Task {
    const { events } = run;
    const now = msNumberToTs(Date.now());
    const previousStarted = [...events].reverse().find((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const scheduledId = events.length;
    this.append(run, ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, now, { workflowTaskStartedEventAttributes: { scheduledEventId: int64(scheduledId), identity, requestId: randomUUID(), historySizeBytes: int64(300 * events.length) } });
    run.token = `wft/${++this.tokenSeq}`;
    this.byToken.set(run.token, run);
    return {
      taskToken: Buffer.from(run.token),
      workflowExecution: { workflowId: run.workflowId, runId: run.runId },
      workflowType: { name: WORKFLOW_TYPE },
      previousStartedEventId: int64(previousStarted ? Number(previousStarted.eventId) : 0),
      startedEventId: int64(events.length),
      attempt: 1,
      backlogCountHint: int64(0),
      history: { events: events.slice(from) },
      workflowExecutionTaskQueue: { name: run.taskQueue, kind: NORMAL },
      scheduledTime: now,
      startedTime: now,
      queries: {},
      messages: [],
    };
  }

  /** Appends the run's next event. */
  private append(run: Run, eventType: temporal.api.enums.v1.EventType, eventTime: ReturnType<typeof msNumberToTs>, attrs: Partial<Event>): void {
    const eventId = run.events.length + 1;
    run.events.push({ eventId: int64(eventId), eventTime, eventType, taskId: int64(1_048_576 + run.n * 16 + eventId), ...attrs });
  }
}
