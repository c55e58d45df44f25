import type { WorkflowInfo } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { loggerFrom, type LogLevel, type LogMetadata } from '../../../core/logger.js';
import { replayHistory } from '../../../core/replay/index.js';
import type { InjectedSinks } from '../../../sandbox/sinks.js';
import type { RecorderSinks } from '../../fixtures/workflows/sandbox-api.js';
import { startOfficialWorker } from '../../helpers/official-worker.js';
import { sandboxApiWorkflowsPath } from '../../helpers/sandbox.js';
import { testRuntime } from '../../helpers/runtime.js';
import { uniqueTaskQueue, useServer } from '../../helpers/temporal.js';

const workflowsPath = sandboxApiWorkflowsPath;
const server = useServer();

interface Recorded {
  record: string[];
  recordAlways: string[];
  infos: WorkflowInfo[];
}

function recorderSinks(): { sinks: InjectedSinks<RecorderSinks>; seen: Recorded } {
  const seen: Recorded = { record: [], recordAlways: [], infos: [] };
  const sinks: InjectedSinks<RecorderSinks> = {
    recorder: {
      record: { fn: (info, event) => void (seen.record.push(event), seen.infos.push(info)) },
      recordAlways: { fn: (_info, event) => void seen.recordAlways.push(event), callDuringReplay: true },
      boom: {
        fn: () => {
          throw new Error('sink exploded');
        },
      },
    },
  };
  return { sinks, seen };
}

describe('workflow log.* and user sinks', () => {
  it('log lines reach the runtime logger once with the workflow attributes; sinks run once, in replay only with callDuringReplay', async () => {
    const lines: { level: LogLevel; message: string; meta: LogMetadata }[] = [];
    const logger = loggerFrom((level, message, meta = {}) => void lines.push({ level, message, meta }));
    const runtime = await testRuntime({ sandbox: { threads: 1 } }, { logger });
    const { sinks, seen } = recorderSinks();
    const taskQueue = uniqueTaskQueue('sinks');
    try {
      // No cache: the second workflow task replays the part before the timer.
      await runtime.addWorker({ taskQueue, workflowsPath, sinks, limits: { maxCachedWorkflows: 0 } });
      const handle = await server.client.workflow.start('logsAndSinks', { taskQueue, workflowId: taskQueue });
      expect(await handle.result()).toBe('done');

      const workflowLines = lines.filter((l) => l.meta.sdkComponent === 'workflow');
      expect(workflowLines.map((l) => [l.level, l.message])).toEqual([
        ['INFO', 'workflow started'],
        ['WARN', 'after sleep'],
      ]);
      expect(workflowLines[0]!.meta).toMatchObject({
        namespace: 'default',
        taskQueue,
        workflowId: taskQueue,
        runId: handle.firstExecutionRunId,
        workflowType: 'logsAndSinks',
        custom: 'yes',
      });
      expect(seen.record).toEqual(['before-sleep', 'after-sleep']);
      expect(seen.recordAlways).toEqual(['before-sleep', 'before-sleep']);
      expect(seen.infos[0]).toMatchObject({ workflowType: 'logsAndSinks', runId: handle.firstExecutionRunId, taskQueue });
      expect(seen.infos[0]!.unsafe.now()).toBeGreaterThan(0);
      // A throwing sink is logged and does not fail the task (the workflow completed above); not called in replay.
      expect(lines.filter((l) => l.message === 'External sink function threw an error')).toHaveLength(1);
      const history = await handle.fetchHistory();
      expect(history.events?.some((e) => e.workflowTaskFailedEventAttributes)).toBe(false);

      // The replayer is a replay worker: only callDuringReplay sinks run, for every call.
      const replayed = recorderSinks();
      expect(await replayHistory(history, { workflowsPath, sinks: replayed.sinks })).toMatchObject({ ok: true });
      expect(replayed.seen).toMatchObject({ record: [], recordAlways: ['before-sleep'] });
    } finally {
      await runtime.shutdown({ graceMs: 5_000 });
    }
  });

  it('the official worker makes the same sink and log calls for the same workflow', async () => {
    const { sinks, seen } = recorderSinks();
    const logged: string[] = [];
    const taskQueue = uniqueTaskQueue('sinks-official');
    const official = await startOfficialWorker(
      taskQueue,
      {
        maxCachedWorkflows: 0,
        sinks: {
          ...sinks,
          // The deprecated way to take over the logger sink: the official Runtime's logger is process-wide.
          defaultWorkerLogger: Object.fromEntries(
            (['trace', 'debug', 'info', 'warn', 'error'] as const).map((level) => [level, { fn: (_info: WorkflowInfo, message: string, attrs?: LogMetadata) => void (attrs?.sdkComponent === 'workflow' && logged.push(message)) }]),
          ),
        },
      },
      workflowsPath,
    );
    try {
      expect(await server.client.workflow.execute('logsAndSinks', { taskQueue, workflowId: taskQueue })).toBe('done');
    } finally {
      await official.stop();
    }
    expect(logged).toEqual(['workflow started', 'after sleep']);
    expect(seen.record).toEqual(['before-sleep', 'after-sleep']);
    expect(seen.recordAlways).toEqual(['before-sleep', 'before-sleep']);
  });
});
