/** `cli/replay.ts` as CI would run it: a child process, its output and its exit code. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliHistoryFile, modifiedWorkflowsPath, recordedHistoryFile, sourceWorkflowsPath } from './fixtures.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');

function runCli(args: string[], entry: string[] = ['cli/replay.ts']): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tsx, [...entry, ...args], { cwd: repo, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describe('tsx cli/replay.ts', () => {
  it('prints OK per file and exits 0 when every history replays', async () => {
    const files = [recordedHistoryFile('hello-activity'), recordedHistoryFile('patched'), cliHistoryFile('timers')];
    const { code, stdout } = await runCli(['--workflows', sourceWorkflowsPath, ...files]);
    expect(stdout.match(/^OK /gm)).toHaveLength(3);
    expect(stdout).toContain('3 of 3 histories replayed cleanly');
    expect(code).toBe(0);
  });

  it('prints the first nondeterminism with its event id and exits 1; other files still run', async () => {
    const files = [recordedHistoryFile('hello-activity'), path.join(repo, 'package.json'), recordedHistoryFile('failing-activity')];
    const { code, stdout } = await runCli(['--workflows', modifiedWorkflowsPath, ...files]);
    expect(stdout).toMatch(/FAIL +.*hello-activity\.json[^\n]*\n +WORKFLOW_NONDETERMINISM: Nondeterminism at event 5 /);
    expect(stdout).toMatch(/FAIL +.*package\.json\n +REPLAY_HISTORY_INVALID/);
    expect(stdout).toMatch(/failing-activity\.json[^\n]*\n +WORKFLOW_NONDETERMINISM: Nondeterminism at event 5 /);
    expect(stdout).toContain('0 of 3 histories replayed cleanly');
    expect(code).toBe(1);
  });

  it('exits 2 with the usage when --workflows is missing', async () => {
    const { code, stderr } = await runCli([recordedHistoryFile('hello-activity')]);
    expect(code).toBe(2);
    expect(stderr).toContain('--workflows is required');
  });
});

describe('tempo-worker replay (the subcommand of the CLI)', () => {
  it('replays as the standalone command does, with the same exit codes', async () => {
    const ok = await runCli(['--workflows', sourceWorkflowsPath, recordedHistoryFile('hello-activity')], ['cli/main.ts', 'replay']);
    expect(ok.stdout).toContain('1 of 1 histories replayed cleanly');
    expect(ok.code).toBe(0);
    const bad = await runCli(['--workflows', modifiedWorkflowsPath, recordedHistoryFile('hello-activity')], ['cli/main.ts', 'replay']);
    expect(bad.stdout).toMatch(/WORKFLOW_NONDETERMINISM/);
    expect(bad.code).toBe(1);
  });
});
