/**
 * The replayer against histories recorded from the official worker: the code they came from
 * replays cleanly (in every JSON shape), and changed code is reported with the event id.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Replayer, replayHistories, replayHistory, type ReplayResult } from '../../../core/replay/index.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { cliHistoryFile, modifiedWorkflowsPath, readText, recordedHistoryFile, sourceWorkflowsPath, toTctlStyle } from './fixtures.js';

const recordedNames = readdirSync(path.dirname(recordedHistoryFile('x')))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

function failure(result: ReplayResult): { code: string; message: string } {
  if (result.ok) throw new Error(`expected ${result.workflowType} to fail replay`);
  return { code: result.error.code, message: result.error.message };
}

describe('replaying recorded histories with the code that produced them', () => {
  it('every recorded history replays cleanly, with one bundle and one sandbox', async () => {
    const results: ReplayResult[] = [];
    for await (const r of replayHistories(recordedNames.map((n) => readText(recordedHistoryFile(n))), { workflowsPath: sourceWorkflowsPath })) results.push(r);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results).toHaveLength(recordedNames.length);
  });

  it('proto3 JSON from the CLI and its tctl-style rewrite both replay cleanly', async () => {
    const texts = (['hello-activity', 'timers'] as const).map((n) => readText(cliHistoryFile(n)));
    const results: ReplayResult[] = [];
    for await (const r of replayHistories([...texts, ...texts.map(toTctlStyle)], { workflowsPath: sourceWorkflowsPath })) results.push(r);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect(results[0]).toMatchObject({ workflowType: 'helloActivity', workflowId: 'hello-cli' });
  });

  it('replayHistory takes per-run options', async () => {
    const result = await replayHistory(readText(recordedHistoryFile('signals')), { workflowsPath: sourceWorkflowsPath, workflowId: 'given-id', runId: 'given-run' });
    expect(result).toEqual({ ok: true, workflowId: 'given-id', runId: 'given-run', workflowType: 'signals' });
  });
});

describe('replaying recorded histories with changed code', () => {
  let sandbox: WorkflowSandbox;
  let replayer: Replayer;
  beforeAll(async () => {
    // A caller's sandbox: the replayer must use it and leave it open.
    sandbox = await WorkflowSandbox.create({ threads: 1 });
    replayer = await Replayer.create({ workflowsPath: modifiedWorkflowsPath, sandbox });
  });
  afterAll(async () => {
    await replayer?.close();
    await sandbox?.close();
  });

  it('a different activity type is nondeterminism at the event that holds the original', async () => {
    const f = failure(await replayer.replay(readText(recordedHistoryFile('hello-activity'))));
    expect(f.code).toBe('WORKFLOW_NONDETERMINISM');
    expect(f.message).toMatch(/event 5 \(ActivityTaskScheduled: activity id '1', type 'greet'\)/);
    expect(f.message).toContain("type 'greetLoudly'");
  });

  it('an extra timer is nondeterminism at the event where history has something else', async () => {
    const f = failure(await replayer.replay(readText(recordedHistoryFile('failing-activity'))));
    expect(f.code).toBe('WORKFLOW_NONDETERMINISM');
    expect(f.message).toMatch(/event 5 \(ActivityTaskScheduled.*issued StartTimer/);
  });

  it('code that throws is reported as a workflow-task failure', async () => {
    const f = failure(await replayer.replay(readText(recordedHistoryFile('signals'))));
    expect(f.code).toBe('REPLAY_WORKFLOW_TASK_FAILED');
    expect(f.message).toContain('bug introduced in the new version');
  });

  it('a workflow type the code does not export is a workflow-task failure naming it', async () => {
    const f = failure(await replayer.replay(readText(recordedHistoryFile('timers'))));
    expect(f.code).toBe('REPLAY_WORKFLOW_TASK_FAILED');
    expect(f.message).toContain("'timers'");
    // The caller's sandbox is still usable and holds no replayed run.
    expect(sandbox.runsCached()).toBe(0);
  });

  it('a file that is not a history throws REPLAY_HISTORY_INVALID', async () => {
    await expect(replayer.replay('{"events": []}')).rejects.toMatchObject({ code: 'REPLAY_HISTORY_INVALID' });
  });
});
