/** Entities sharing (or not) one sticky queue, on a connection that counts its open workflow polls. */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Connection } from '../../../core/connection/connection.js';
import { replayHistories } from '../../../core/replay/index.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import type { WorkerEntityInput } from '../../../core/worker/worker-entity-options.js';
import { StickyQueue } from '../../../core/workflow-worker/sticky-queue.js';
import type { WorkflowTaskReport } from '../../../core/workflow-worker/workflow-task-handler.js';
import type { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { silentLogger } from '../../helpers/runtime.js';
import { uniqueTaskQueue } from '../../helpers/temporal.js';

const { EventType, TaskQueueKind } = proto.temporal.api.enums.v1;

/** Open PollWorkflowTaskQueue calls by queue kind, and the most seen at once. */
export class PollCounter {
  open = { normal: 0, sticky: 0 };
  constructor(connection: Connection) {
    const call = connection.call.bind(connection);
    const counter = this;
    connection.call = async function countingCall(method, request, opts) {
      if (method !== 'pollWorkflowTaskQueue') return call(method, request, opts);
      const kind = (request as { taskQueue?: { kind?: number } }).taskQueue?.kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY ? 'sticky' : 'normal';
      counter.open[kind]++;
      try {
        return await call(method, request, opts);
      } finally {
        counter.open[kind]--;
      }
    } as Connection['call'];
  }

  get total(): number {
    return this.open.normal + this.open.sticky;
  }
}

export interface TestEntity {
  entity: WorkerEntity;
  taskQueue: string;
  reports: WorkflowTaskReport[];
}

export async function startEntity(
  ctx: { connection: Connection; sandbox: WorkflowSandbox; stickyQueue?: StickyQueue },
  extra: Partial<WorkerEntityInput> = {},
): Promise<TestEntity> {
  const taskQueue = extra.taskQueue ?? uniqueTaskQueue('sticky');
  const reports: WorkflowTaskReport[] = [];
  const entity = new WorkerEntity(
    { taskQueue, workflowsPath: fixtureWorkflowsPath, ...extra },
    { connection: ctx.connection, sandbox: ctx.sandbox, stickyQueue: ctx.stickyQueue, logger: silentLogger, events: { workflowTaskDone: (r) => reports.push(r) } },
  );
  await entity.start();
  return { entity, taskQueue, reports };
}

export function newStickyQueue(connection: Connection, pollers = 8): StickyQueue {
  return new StickyQueue({ connection, identity: 'sticky-test', logger: silentLogger, pollers, maxConcurrentTaskExecutions: 100 });
}

/** Workflow tasks (not queries) of one run, and how many came from the cache. */
export function tasksOf(e: TestEntity, runId: string): { total: number; hits: number } {
  const mine = e.reports.filter((r) => r.runId === runId && r.outcome !== 'query');
  return { total: mine.length, hits: mine.filter((r) => r.cacheHit).length };
}

/** Event types a healthy sticky run never has: a task failed, timed out or handed back. */
export async function troubleEvents(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const bad = new Set<number>([EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT]);
  return (history.events ?? []).filter((e) => bad.has(Number(e.eventType))).map((e) => EventType[Number(e.eventType)]!);
}

/** Replays every history with our replayer in a sandbox of its own; returns the failures. */
export async function replayAll(client: Client, workflowIds: string[]): Promise<string[]> {
  const histories = await Promise.all(workflowIds.map(async (id) => ({ history: await client.workflow.getHandle(id).fetchHistory(), workflowId: id })));
  const failures: string[] = [];
  for await (const r of replayHistories(histories, { workflowsPath: fixtureWorkflowsPath })) {
    if (!r.ok) failures.push(`${r.workflowId}: ${r.error.message}`);
  }
  return failures;
}
