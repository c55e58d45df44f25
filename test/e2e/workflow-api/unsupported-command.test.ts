/**
 * A command this runtime does not implement fails loudly, not in a loop (real server): the first
 * attempt fails the workflow task once, naming the command, logged once at ERROR; the server's
 * retries are processed quietly and not reported again, so history holds one failure.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../core/connection/connection.js';
import { loggerFrom, type LogLevel } from '../../../core/logger.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { ourConnection, uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';

const EventType = proto.temporal.api.enums.v1.EventType;
const workflowsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/workflow-api/unsupported.ts');
const server = useServer();
const lines: Array<{ level: LogLevel; message: string; meta?: Record<string, unknown> }> = [];
const taskQueue = uniqueTaskQueue('unsupported');
let connection: Connection;
let entity: WorkerEntity;

beforeAll(async () => {
  connection = await ourConnection();
  entity = new WorkerEntity({ taskQueue, workflowsPath, activities: {} }, { connection, logger: loggerFrom((level, message, meta) => void lines.push({ level, message, meta })) });
  await entity.start();
});
afterAll(async () => {
  await entity?.close();
  await connection?.close();
});

describe('an unsupported command (real server)', () => {
  it('fails the workflow task once, naming the command, logged once at ERROR; retries are quiet', async () => {
    const handle = await server.client.workflow.start('issuesUnknownCommand', { taskQueue, workflowId: `${taskQueue}-wf` });
    try {
      // The server hands the task out again at once (attempt 2): it must be handled without a report.
      await waitFor(() => lines.some((l) => l.message === 'Workflow task failed again'), 20_000, 'the second attempt');
      const errors = lines.filter((l) => l.level === 'ERROR' || l.level === 'WARN');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.level).toBe('ERROR');
      expect(errors[0]!.message).toContain("'unknown' (Unknown) is not supported");
      expect(errors[0]!.meta).toMatchObject({ workflowType: 'issuesUnknownCommand', attempt: 1, code: 'WORKFLOW_COMMAND_UNSUPPORTED' });
      const failed = (await handle.fetchHistory()).events!.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.workflowTaskFailedEventAttributes!.failure!.message).toContain("'unknown'");
    } finally {
      await handle.terminate('test done');
    }
  });
});
