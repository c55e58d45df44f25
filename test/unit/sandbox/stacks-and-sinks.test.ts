/**
 * What the sandbox hands the host besides commands: promise stacks behind the stack trace
 * queries (mapped to the user's files), and each activation's sink calls. Both isolation modes.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode, type WorkflowBundle } from '../../../sandbox/bundler.js';
import type { SinkCallRecord } from '../../../sandbox/protocol.js';
import { SinkDispatcher } from '../../../sandbox/sinks.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { ConsoleLogger, loggerFrom } from '../../../core/logger.js';
import { sandboxApiWorkflowsPath } from '../../helpers/sandbox.js';
import { activation, commandsOf, fromPayload, ISOLATION_MODES, RUN_INFO, startActivation } from './activations.js';

const workflowsPath = path.resolve('test/fixtures/workflows/sandbox/index.ts');
const helloPath = path.resolve('test/fixtures/workflows/sandbox/hello.ts');
const stackQuery = { queryWorkflow: { queryId: 'st', queryType: '__stack_trace', arguments: [] } };

let bundle: WorkflowBundle;
let apiBundle: WorkflowBundle;
beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath });
  apiBundle = await bundleWorkflowCode({ workflowsPath: sandboxApiWorkflowsPath });
});

describe.each(ISOLATION_MODES)('stacks and sink calls (%s)', (isolation) => {
  let sandbox: WorkflowSandbox;
  beforeAll(async () => {
    sandbox = await WorkflowSandbox.create({ isolation, threads: 1 });
    sandbox.registerBundle(bundle);
    sandbox.registerBundle(apiBundle);
  });
  afterAll(() => sandbox?.close());
  const calls: SinkCallRecord[] = [];
  const sinks = { dispatch: async (batch: readonly SinkCallRecord[]) => void calls.push(...batch) };
  const send = (runId: string, bytes: Uint8Array) => sandbox.activate({ runId, bundleId: bundle.id, activation: bytes, info: RUN_INFO, sinks });

  it('__stack_trace names the line each run is blocked on, in the source file, and only that run', async () => {
    await send('blocked-a', startActivation('blocked-a', 'counter', [5]));
    await send('blocked-b', startActivation('blocked-b', 'hello', ['x']));
    const trace = (runId: string) => send(runId, activation(runId, [stackQuery])).then((b) => fromPayload(commandsOf(b)[0]?.respondToQuery?.succeeded?.response) as string);
    const a = await trace('blocked-a');
    expect(a).toMatch(new RegExp(`at counter \\(${workflowsPath}:17:\\d+\\)`));
    expect(a).not.toContain('hello.ts');
    expect(await trace('blocked-b')).toMatch(new RegExp(`at hello \\(${helloPath}:9:\\d+\\)`));
  });

  it('workflow failures carry stacks in the user\'s files, as on the official worker', async () => {
    const bytes = await sandbox.activate({ runId: 'fails', bundleId: apiBundle.id, activation: startActivation('fails', 'failsInUserCode'), info: RUN_INFO });
    const stack = commandsOf(bytes)[0]?.failWorkflowExecution?.failure?.stackTrace ?? '';
    expect(stack).toMatch(new RegExp(`^ApplicationFailure: broken on purpose\n    at .*[/]common[/]src[/]failure\\.ts:\\d+:\\d+\\)\n    at \\S+ \\(${sandboxApiWorkflowsPath}:\\d+:\\d+\\)`));
    expect(stack).not.toContain('workflow-bundle-');
  });

  it('ships sink calls with the workflow info of the moment, replayed ones marked so', async () => {
    calls.length = 0;
    await send('logs-live', startActivation('logs-live', 'hello', ['live']));
    await send('logs-replay', startActivation('logs-replay', 'hello', ['replay'], { isReplaying: true }));
    const logs = calls.filter((c) => c.ifaceName === '__temporal_logger' && c.args[0] === 'hello started');
    expect(logs.map((c) => [c.workflowInfo.runId, c.workflowInfo.unsafe.isReplayingHistoryEvents, (c.args[1] as { name: string }).name])).toEqual([
      ['logs-live', false, 'live'],
      ['logs-replay', true, 'replay'],
    ]);
    expect(logs[0]!.workflowInfo).toMatchObject({ workflowType: 'hello', taskQueue: RUN_INFO.taskQueue, namespace: RUN_INFO.namespace });
  });

  it('does not ship log calls at the levels the host says its logger drops', async () => {
    calls.length = 0;
    await send('logs-all', startActivation('logs-all', 'hello', ['all']));
    const levels = (runId: string) => calls.filter((c) => c.ifaceName === '__temporal_logger' && c.workflowInfo.runId === runId).map((c) => c.fnName);
    expect(levels('logs-all')).toEqual(expect.arrayContaining(['debug', 'info']));
    const quiet = { ...sinks, quietLogLevels: ['trace', 'debug'] as const };
    await sandbox.activate({ runId: 'logs-quiet', bundleId: bundle.id, activation: startActivation('logs-quiet', 'hello', ['quiet']), info: RUN_INFO, sinks: quiet });
    expect(levels('logs-quiet')).toEqual(['info']);
  });

  it('drops sink calls when the request has no sinks', async () => {
    calls.length = 0;
    const bytes = await sandbox.activate({ runId: 'no-sinks', bundleId: bundle.id, activation: startActivation('no-sinks', 'hello', ['x']), info: RUN_INFO });
    expect(commandsOf(bytes)).toHaveLength(1);
    expect(calls).toEqual([]);
  });
});

describe('SinkDispatcher.quietLogLevels', () => {
  it('names the levels a logger with a known level drops, only for our own logger sink', () => {
    expect(new SinkDispatcher(undefined, new ConsoleLogger('WARN')).quietLogLevels).toEqual(['trace', 'debug', 'info']);
    expect(new SinkDispatcher(undefined, new ConsoleLogger('TRACE')).quietLogLevels).toEqual([]);
    // A wrapper keeps the level it is given; a logger that does not say has none dropped.
    expect(new SinkDispatcher(undefined, loggerFrom(() => undefined, 'INFO')).quietLogLevels).toEqual(['trace', 'debug']);
    expect(new SinkDispatcher(undefined, loggerFrom(() => undefined)).quietLogLevels).toEqual([]);
    // A user's logger sink may want every call.
    const own = { __temporal_logger: { debug: { fn: () => undefined } } };
    expect(new SinkDispatcher(own, new ConsoleLogger('ERROR')).quietLogLevels).toEqual([]);
  });
});
