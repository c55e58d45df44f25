/**
 * A fake `temporal.api.workflowservice.v1.WorkflowService` on `@grpc/grpc-js` that hands out
 * synthetic activity tasks or one-activity workflow runs as fast as workers poll, and checks
 * every answer (see ./activity-tasks.ts, ./workflow-runs.ts). It answers what a worker calls at
 * start and stop as the dev server (1.32.0) does; any other method is UNIMPLEMENTED and counted
 * in {@link FakeWorkflowService.unknownMethods}, so a benchmark learns what else a worker needed.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Server as NetServer, Socket } from 'node:net';
// The whole package: the fake serves every WorkflowService method, beyond the subset the runtime loads.
import proto from '@temporalio/proto';
import { ActivityTasks } from './activity-tasks.js';
import { buildService, GrpcError, type UnaryHandler } from './grpc-service.js';
import { PollQueue } from './poll-queue.js';
import { WorkflowRuns, type StickyFallback, type TaskRoute } from './workflow-runs.js';

const { temporal } = proto;

type v1 = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof v1> = v1[K] extends { decode(b: Uint8Array): infer T } ? T : never;
type WorkflowTask = proto.temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse;
type ActivityTask = proto.temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;

/** What the fake hands out to polls on normal queues. */
export type FakeMode = 'idle' | 'activities' | 'workflows';

export interface FakeOptions {
  /** @default 'default' */
  namespace?: string;
  /** How long an idle poll is held before an empty answer. @default 2000 */
  pollHoldMs?: number;
  /** Open workflow runs at most; a poll waits beyond that. @default 2000 */
  maxOpenRuns?: number;
}

export class FakeWorkflowService {
  mode: FakeMode = 'idle';
  readonly activities: ActivityTasks;
  readonly runs: WorkflowRuns;
  /** Methods a worker called that the fake does not implement, with counts. */
  readonly unknownMethods = new Map<string, number>();
  /** Calls per method. */
  readonly calls = new Map<string, number>();
  private readonly activityQueues = new Map<string, PollQueue<ActivityTask>>();
  private readonly workflowQueues = new Map<string, PollQueue<WorkflowTask>>();
  private readonly server = new grpc.Server({ 'grpc.max_receive_message_length': 128 * 1024 * 1024 });
  private readonly namespace: string;
  private readonly holdMs: number;
  private readonly maxOpenRuns: number;

  private constructor(opts: FakeOptions) {
    this.namespace = opts.namespace ?? 'default';
    this.holdMs = opts.pollHoldMs ?? 2_000;
    this.maxOpenRuns = opts.maxOpenRuns ?? 2_000;
    this.activities = new ActivityTasks(this.namespace);
    this.runs = new WorkflowRuns((r, fallback) => this.routeSecondTask(r, fallback));
    const { definition, implementation } = buildService(this.handlers(), (m) => this.unknownMethods.set(m, (this.unknownMethods.get(m) ?? 0) + 1));
    this.server.addService(definition, implementation);
  }

  /** Starts the fake on `127.0.0.1:port` (0: any free port). */
  static async start(port = 0, opts: FakeOptions = {}): Promise<FakeWorkflowService & { address: string }> {
    const fake = new FakeWorkflowService(opts);
    const bound = await new Promise<number>((resolve, reject) =>
      fake.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    fake.noDelay();
    return Object.assign(fake, { address: `127.0.0.1:${bound}` });
  }

  /**
   * Turns Nagle's algorithm off on the server's sockets, as a real server's Go runtime does by
   * default: grpc-js sets it on its client sockets but not on its server's, and with it on, a
   * small answer can wait for the client's delayed ACK (tens of ms per round trip). grpc-js has
   * no option for it, so this reaches into its (stable since 1.10) `http2Servers` map.
   */
  private noDelay(): void {
    const servers = (this.server as unknown as { http2Servers?: Map<NetServer, unknown> }).http2Servers;
    for (const s of servers?.keys() ?? []) s.on('connection', (socket: Socket) => socket.setNoDelay(true));
  }

  /** Sets what normal-queue polls get, and wakes polls waiting for it. */
  setMode(mode: FakeMode): void {
    this.mode = mode;
    if (mode === 'idle') for (const q of [...this.activityQueues.values(), ...this.workflowQueues.values()]) q.release();
    for (const q of this.activityQueues.values()) q.pump();
    for (const q of this.workflowQueues.values()) q.pump();
  }

  /** Accepted answers and mismatches, activity and workflow tasks together. */
  get totals(): { accepted: number; mismatches: number } {
    return { accepted: this.activities.checks.accepted + this.runs.checks.accepted, mismatches: this.activities.checks.mismatches + this.runs.checks.mismatches };
  }

  async close(): Promise<void> {
    this.setMode('idle');
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private activityQueue(name: string): PollQueue<ActivityTask> {
    let q = this.activityQueues.get(name);
    if (!q) this.activityQueues.set(name, (q = new PollQueue(() => (this.mode === 'activities' ? this.activities.next(name) : undefined), this.holdMs)));
    return q;
  }

  private workflowQueue(name: string, sticky: boolean): PollQueue<WorkflowTask> {
    let q = this.workflowQueues.get(name);
    if (!q) {
      const produce = sticky ? () => undefined : () => (this.mode === 'workflows' && this.runs.open < this.maxOpenRuns ? this.runs.start(name) : undefined);
      this.workflowQueues.set(name, (q = new PollQueue(produce, this.holdMs)));
    }
    return q;
  }

  private routeSecondTask(r: TaskRoute, fallback?: StickyFallback): void {
    const q = this.workflowQueue(r.queue, r.sticky);
    q.push(r.task);
    if (fallback) setTimeout(() => q.remove(r.task) && fallback.run(), fallback.afterMs).unref();
  }

  private handlers(): Partial<Record<string, UnaryHandler>> {
    const count = (name: string, h: UnaryHandler): UnaryHandler => (req, call) => {
      this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
      return h(req, call);
    };
    const onCancel = (call: grpc.ServerUnaryCall<Buffer, Buffer>) => (fn: () => void) => call.once('cancelled', fn);
    const h: Record<string, UnaryHandler> = {
      GetSystemInfo: async () => ({
        serverVersion: '1.32.0',
        capabilities: {
          signalAndQueryHeader: true,
          internalErrorDifferentiation: true,
          activityFailureIncludeHeartbeat: true,
          supportsSchedules: true,
          encodedFailureAttributes: true,
          buildIdBasedVersioning: true,
          upsertMemo: true,
          eagerWorkflowStart: true,
          sdkMetadata: true,
          countGroupByExecutionStatus: true,
          nexus: true,
        },
      }),
      DescribeNamespace: async (req) => {
        const { namespace } = req as Req<'DescribeNamespaceRequest'>;
        if (namespace !== this.namespace) throw new GrpcError(grpc.status.NOT_FOUND, `Namespace ${namespace} is not found.`);
        return {
          namespaceInfo: {
            name: this.namespace,
            state: temporal.api.enums.v1.NamespaceState.NAMESPACE_STATE_REGISTERED,
            id: NAMESPACE_ID,
            capabilities: { eagerWorkflowStart: true, syncUpdate: true, asyncUpdate: true, workerHeartbeats: true, workerPollCompleteOnShutdown: true },
            supportsSchedules: true,
          },
          config: { workflowExecutionRetentionTtl: { seconds: 86_400 } },
        };
      },
      PollActivityTaskQueue: async (req, call) => {
        const r = req as Req<'PollActivityTaskQueueRequest'>;
        return (await this.activityQueue(r.taskQueue?.name ?? '').poll(r.workerInstanceKey ?? '', onCancel(call))) ?? {};
      },
      RespondActivityTaskCompleted: async (req) => {
        if (!this.activities.completed(req as Req<'RespondActivityTaskCompletedRequest'>)) throw notFound('activity task');
        return {};
      },
      RespondActivityTaskFailed: async (req) => {
        const r = req as Req<'RespondActivityTaskFailedRequest'>;
        if (!this.activities.failed('RespondActivityTaskFailed', r.taskToken, r.failure?.message ?? '')) throw notFound('activity task');
        return {};
      },
      RespondActivityTaskCanceled: async (req) => {
        if (!this.activities.failed('RespondActivityTaskCanceled', (req as Req<'RespondActivityTaskCanceledRequest'>).taskToken, 'cancelled')) throw notFound('activity task');
        return {};
      },
      RecordActivityTaskHeartbeat: async () => ({ cancelRequested: false }),
      PollWorkflowTaskQueue: async (req, call) => {
        const r = req as Req<'PollWorkflowTaskQueueRequest'>;
        const sticky = r.taskQueue?.kind === temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY;
        return (await this.workflowQueue(r.taskQueue?.name ?? '', sticky).poll(r.workerInstanceKey ?? '', onCancel(call))) ?? {};
      },
      RespondWorkflowTaskCompleted: async (req) => {
        const r = req as Req<'RespondWorkflowTaskCompletedRequest'>;
        if (!this.runs.completed(r)) throw notFound('workflow task');
        // A run finished or failed its check: room for a new one.
        for (const q of this.workflowQueues.values()) q.pump();
        return {};
      },
      RespondWorkflowTaskFailed: async (req) => {
        if (!this.runs.failed(req as Req<'RespondWorkflowTaskFailedRequest'>)) throw notFound('workflow task');
        return {};
      },
      GetWorkflowExecutionHistory: async (req) => {
        const r = req as Req<'GetWorkflowExecutionHistoryRequest'>;
        const events = this.runs.history(r.execution?.runId ?? '');
        if (!events) throw new GrpcError(grpc.status.NOT_FOUND, `workflow execution ${r.execution?.runId} not found`);
        return { history: { events } };
      },
      ShutdownWorker: async (req) => {
        const key = (req as Req<'ShutdownWorkerRequest'>).workerInstanceKey ?? '';
        // As the server does with workerPollCompleteOnShutdown: that worker's open polls end empty.
        if (key) for (const q of [...this.activityQueues.values(), ...this.workflowQueues.values()]) q.release(key);
        return {};
      },
      RecordWorkerHeartbeat: async () => ({}),
      ResetStickyTaskQueue: async () => ({}),
      DescribeTaskQueue: async () => ({}),
    };
    return Object.fromEntries(Object.entries(h).map(([name, fn]) => [name, count(name, fn)]));
  }
}

const NAMESPACE_ID = randomUUID();

function notFound(what: string): GrpcError {
  return new GrpcError(grpc.status.NOT_FOUND, `${what} not found or already completed`);
}
