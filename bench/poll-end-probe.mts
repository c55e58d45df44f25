/**
 * What a server does with open long polls when a worker shuts down, with and without the
 * `workerPollCompleteOnShutdown` capability (dynamic config `frontend.enableCancelWorkerPollsOnShutdown`),
 * and with the stock long-poll interval (60 s, as the conformance suite's servers run).
 *
 * For each server: open workflow, activity and sticky-queue polls carrying one worker instance
 * key, send ShutdownWorker for them, and time when each poll ends and how (empty answer, or a
 * gRPC error). Then: how a poll with a short gRPC deadline ends (the server answers empty a
 * budget before the deadline, or the deadline fires), and whether a poll sent after ShutdownWorker
 * with the same key is refused. Prints one table per server and JSON.
 *
 *   npx tsx bench/poll-end-probe.mts
 */
import { randomUUID } from 'node:crypto';
import { Connection, ServiceCallError } from '../core/connection/connection.js';
import { temporal } from '../core/connection/proto.js';
import { TemporalDevServer } from '../core/dev-server/temporal-dev-server.js';
import { report } from './support.js';

const { TaskQueueType, TaskQueueKind } = temporal.api.enums.v1;

interface PollEnd {
  probe: string;
  endedAfterMs: number | string;
  how: string;
}

function outcome(started: number, p: Promise<unknown>): Promise<{ ms: number; how: string }> {
  return p.then(
    (res) => ({ ms: Math.round(performance.now() - started), how: (res as { taskToken?: Uint8Array }).taskToken?.length ? 'task' : 'empty answer' }),
    (err: unknown) => ({ ms: Math.round(performance.now() - started), how: err instanceof ServiceCallError ? `error ${err.code}` : String(err) }),
  );
}

async function probe(label: string, dynamicConfig: Record<string, string | number | boolean>): Promise<PollEnd[]> {
  const server = await TemporalDevServer.start({ dynamicConfig, searchAttributes: {} });
  const conn = await Connection.connect({ address: server.address, namespace: 'default' });
  const rows: PollEnd[] = [];
  try {
    const caps = conn.namespaceCapabilities?.workerPollCompleteOnShutdown === true;
    rows.push({ probe: 'workerPollCompleteOnShutdown', endedAfterMs: '', how: String(caps) });
    const taskQueue = `probe-${randomUUID()}`;
    const sticky = `${taskQueue}-sticky`;
    const workerInstanceKey = randomUUID();
    const base = { namespace: 'default', identity: 'probe', workerInstanceKey };
    const wf = (name: string, kind = TaskQueueKind.TASK_QUEUE_KIND_NORMAL) =>
      conn.call('pollWorkflowTaskQueue', { ...base, taskQueue: { name, kind, ...(kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY && { normalName: taskQueue }) } }, { longPoll: true });
    const act = () => conn.call('pollActivityTaskQueue', { ...base, taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL } }, { longPoll: true });
    const polls = { workflow: wf(taskQueue), activity: act(), 'sticky workflow': wf(sticky, TaskQueueKind.TASK_QUEUE_KIND_STICKY) };
    // Let the polls reach matching before the shutdown.
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = performance.now();
    await conn.call('shutdownWorker', {
      ...base,
      reason: 'probe',
      stickyTaskQueue: sticky,
      taskQueue,
      taskQueueTypes: [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
    }, { retry: false });
    const shutdownMs = Math.round(performance.now() - t0);
    rows.push({ probe: 'ShutdownWorker answered', endedAfterMs: shutdownMs, how: '' });
    // Polls still open 8 s after ShutdownWorker are reported as such (the stock interval is 60 s).
    const capMs = 8000;
    const ends = await Promise.all(
      Object.entries(polls).map(async ([name, p]) => {
        const end = await Promise.race([outcome(t0, p), new Promise<undefined>((r) => setTimeout(() => r(undefined), capMs))]);
        return { probe: `${name} poll open at ShutdownWorker`, endedAfterMs: end ? end.ms : `> ${capMs}`, how: end?.how ?? 'still open' };
      }),
    );
    rows.push(...ends);
    const late = await Promise.race([outcome(performance.now(), act()), new Promise<undefined>((r) => setTimeout(() => r(undefined), 4000))]);
    rows.push({ probe: 'activity poll sent after ShutdownWorker, same key', endedAfterMs: late ? late.ms : '> 4000', how: late?.how ?? 'still open' });
    for (const deadlineMs of [2500, 5000]) {
      const other = { ...base, workerInstanceKey: randomUUID() };
      const t = performance.now();
      const end = await outcome(t, conn.call('pollActivityTaskQueue', { ...other, taskQueue: { name: `${taskQueue}-d${deadlineMs}`, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL } }, { longPoll: true, timeoutMs: deadlineMs }));
      rows.push({ probe: `idle poll with a ${deadlineMs} ms gRPC deadline`, endedAfterMs: end.ms, how: end.how });
    }
  } finally {
    await conn.close();
    await server.stop();
  }
  report(`open polls at shutdown: ${label}`, rows as unknown as Record<string, string | number>[]);
  return rows;
}

await probe('server without the capability, stock long-poll interval', { 'frontend.enableCancelWorkerPollsOnShutdown': false });
await probe('server with the capability, stock long-poll interval', { 'frontend.enableCancelWorkerPollsOnShutdown': true });
process.exit(0);
