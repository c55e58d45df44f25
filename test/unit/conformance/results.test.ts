import { describe, expect, it } from 'vitest';
import { causeOf, countsFor, failuresByCause, formatCounts, formatTable, summarize, type FeatureRunResult } from '../../../test/conformance/results.js';

const results: FeatureRunResult[] = [
  { feature: 'update/basic', worker: 'official', outcome: 'pass', durationMs: 1 },
  { feature: 'update/basic', worker: 'ours', outcome: 'fail', error: 'Workflow Update is rejected because it was not processed by worker', durationMs: 1 },
  { feature: 'update/activities', worker: 'official', outcome: 'pass', durationMs: 1 },
  { feature: 'update/activities', worker: 'ours', outcome: 'fail', error: 'Workflow Update is rejected because it was not processed by worker\nstack', durationMs: 1 },
  { feature: 'w/s', variant: 'off', worker: 'official', outcome: 'fail', error: 'expected a workflow task failure', durationMs: 1 },
  { feature: 'w/s', variant: 'off', worker: 'ours', outcome: 'pass', durationMs: 1 },
  { feature: 'client/http_proxy_nativeconn', worker: 'official', outcome: 'pass', durationMs: 1 },
  { feature: 'client/http_proxy_nativeconn', worker: 'ours', outcome: 'not-run', error: 'creates its own Worker', durationMs: 0 },
];

describe('summarize', () => {
  it('gives one sorted row per feature and variant with both workers', () => {
    const rows = summarize(results);
    expect(rows.map((r) => r.name)).toEqual(['client/http_proxy_nativeconn', 'update/activities', 'update/basic', 'w/s [off]']);
    expect(rows[2].byWorker.official?.outcome).toBe('pass');
    expect(rows[2].byWorker.ours?.outcome).toBe('fail');
  });
});

describe('counts', () => {
  it('counts pass, fail and not run per worker', () => {
    expect(countsFor(results, 'official')).toEqual({ total: 4, pass: 3, fail: 1, notRun: 0 });
    expect(countsFor(results, 'ours')).toEqual({ total: 4, pass: 1, fail: 2, notRun: 1 });
    expect(formatCounts(results, ['official', 'ours'])).toBe('official: 3/4 pass, 1 fail, 0 not run\nours: 1/4 pass, 2 fail, 1 not run');
  });
});

describe('failuresByCause', () => {
  it('groups failures by their first line, biggest group first', () => {
    expect(failuresByCause(results, 'ours')).toEqual([{ cause: 'Workflow Update is rejected because it was not processed by worker', features: ['update/basic', 'update/activities'] }]);
  });

  it('names the modules of a forbidden-import error, which sit on later lines', () => {
    const error = "ForbiddenImportError: not allowed in the sandbox:\n  - 'fs' imported by a.js\n  - '@temporalio/client' imported by b.js\n  - 'fs' imported by c.js\nMove such code";
    expect(causeOf(error)).toBe("ForbiddenImportError: not allowed in the sandbox: '@temporalio/client', 'fs'");
  });

  it('groups by the workflow task failure when there is one', () => {
    const withTask: FeatureRunResult[] = [
      { feature: 'c/a', worker: 'ours', outcome: 'fail', error: 'Workflow execution timed out', workflowTaskFailures: ['UNHANDLED_COMMAND: child'], durationMs: 1 },
      { feature: 'c/b', worker: 'ours', outcome: 'fail', error: 'Workflow execution timed out', durationMs: 1 },
    ];
    expect(failuresByCause(withTask, 'ours').map((g) => g.cause)).toEqual(['UNHANDLED_COMMAND: child', 'Workflow execution timed out']);
  });

  it('ignores ids and task queues that differ between runs', () => {
    const a = causeOf('no poller on features-update/basic-ours-0b9c1c43-4f63-4c1e-9d2c-0123456789ab');
    const b = causeOf('no poller on features-update/basic-ours-11111111-2222-3333-4444-555555555555');
    expect(a).toBe(b);
    expect(a).toBe('no poller on <task-queue>');
  });
});

describe('formatTable', () => {
  it('shows each worker outcome and the reasons of failures and skipped runs', () => {
    const table = formatTable(summarize(results), ['official', 'ours'], 40).split('\n');
    expect(table[0]).toMatch(/^feature\s+official\s+ours\s+reason$/);
    const basic = table.find((l) => l.startsWith('update/basic'));
    expect(basic).toMatch(/update\/basic\s+pass\s+FAIL\s+ours: Workflow Update is rejected because it…/);
    expect(table.find((l) => l.startsWith('client/'))).toMatch(/pass\s+-\s+ours: creates its own Worker/);
    expect(table.find((l) => l.startsWith('w/s'))).toMatch(/FAIL\s+pass\s+official: expected a workflow task failure$/);
  });
});
