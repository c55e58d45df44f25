/**
 * `tempo-worker start` in a child process: a start that cannot serve its control API (port in use,
 * bad host, short token, no token beyond loopback) fails before any worker polls, so it takes no
 * task; a start without a token prints a generated one, and the printed curl lines work as printed.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startOfficialWorker } from '../../helpers/official-worker.js';
import { pluginFixtures, testRuntime } from '../../helpers/runtime.js';
import { officialClient, temporalAddress, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface Cli {
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  kill(): void;
}

/** Runs the CLI on a config naming one worker on `taskQueue` (activity plugin `slow`). */
function startCli(taskQueue: string, args: string[], env: Record<string, string> = {}): { cli: Cli; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tempo-startup-'));
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ moduleRoots: [pluginFixtures, root], plugins: [{ module: path.join(pluginFixtures, 'slow-activities.ts') }], workers: [{ id: 'w', taskQueue, activityPlugins: ['slow'] }] }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'start', '--config', config, ...args], {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_WORKER_LOG_LEVEL: 'WARN', XDG_RUNTIME_DIR: dir, TEMPO_API_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { dir, cli: { stdout: () => stdout, stderr: () => stderr, exited, kill: () => child.exitCode === null && child.kill('SIGKILL') } };
}

const listen = () => new Promise<Server>((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => resolve(s));
});

describe('a failed start takes no task', () => {
  it.each([
    ['the port is in use', async (busy: number) => ({ args: ['--port', String(busy)], env: {}, error: /EADDRINUSE/ })],
    ['the host does not resolve', async () => ({ args: ['--port', '0', '--api-address', 'no-such-host.invalid'], env: {}, error: /CONFIG_INVALID: Invalid control API address "no-such-host.invalid"/ })],
    ['TEMPO_API_TOKEN is short', async () => ({ args: ['--port', '0'], env: { TEMPO_API_TOKEN: 'x' }, error: /TEMPO_API_TOKEN: must be at least 16 characters/ })],
    ['0.0.0.0 without a token', async () => ({ args: ['--port', '0', '--api-address', '0.0.0.0'], env: {}, error: /API_TOKEN_REQUIRED/ })],
  ])('when %s: exit 1 naming the cause, the waiting activity task is still SCHEDULED', async (_what, setup) => {
    const taskQueue = uniqueTaskQueue('startup-fail');
    const busy = await listen();
    const official = await startOfficialWorker(taskQueue);
    const { client, close } = await officialClient();
    const { args, env, error } = await setup((busy.address() as { port: number }).port);
    try {
      const handle = await client.workflow.start('callActivity', { taskQueue, workflowId: taskQueue, args: ['slow', [3_000], { startToCloseTimeout: '60s' }] });
      const pending = async () => (await handle.describe()).raw.pendingActivities ?? [];
      await waitFor(async () => (await pending()).length === 1, 20_000, 'the activity to be scheduled');

      const { cli } = startCli(taskQueue, args, env);
      try {
        expect(await cli.exited, cli.stdout()).toBe(1);
        expect(cli.stderr()).toMatch(error);
      } finally {
        cli.kill();
      }
      const [activity] = await pending();
      // 1 = PENDING_ACTIVITY_STATE_SCHEDULED, first attempt, no worker ever named: nobody took it.
      expect(activity).toMatchObject({ state: 1, attempt: 1 });
      expect(activity?.lastWorkerIdentity ?? '').toBe('');

      const rest = await testRuntime({ plugins: [{ module: './slow-activities.ts' }] });
      try {
        await rest.addWorker({ taskQueue, activityPlugins: ['slow'] });
        expect(await handle.result()).toEqual({ attempt: 1 });
      } finally {
        await rest.shutdown({ graceMs: 0 });
      }
    } finally {
      busy.close();
      await close();
      await official.stop();
    }
  });
});

describe('a start without a token', () => {
  it('generates one, prints it once with its 0600 file, and the printed curl lines work as printed', async () => {
    const taskQueue = uniqueTaskQueue('startup-token');
    const { cli, dir } = startCli(taskQueue, ['--port', '0']);
    try {
      await waitFor(() => /Ctrl-C drains/.test(cli.stdout()) || cli.stderr().includes('Error'), 30_000, `the CLI to start (stderr: ${cli.stderr()})`);
      const out = cli.stdout();
      const [, file, token] = /API token \(generated; also in (\S+), readable only by you\): (\S+)/.exec(out) ?? [];
      expect(file).toMatch(new RegExp(`^${dir}/tempo-worker/api-\\d+\\.token$`));
      expect(statSync(file!).mode & 0o777).toBe(0o600);
      expect(out.split(token!).length - 1).toBe(1); // printed once

      const line = (label: string) => out.split('\n')[out.split('\n').indexOf(label) + 1]!.trim();
      const sh = (cmd: string) => promisify(execFile)('sh', ['-c', cmd], { cwd: root }).then((r) => r.stdout);
      const added = JSON.parse(await sh(line('Add a worker:').replace('hello-2', `${taskQueue}-2`).replace('["hello"]', '["slow"]')));
      expect(added).toMatchObject({ taskQueue: `${taskQueue}-2`, state: 'RUNNING' });
      const lines = out.split('\n');
      const del = lines[lines.indexOf('Drain it (in-flight work finishes within 10 s), then delete it:') + 2]!.trim().replace('<id>', added.id);
      expect(JSON.parse(await sh(del))).toEqual({ id: added.id, removed: true });
      const readyz = JSON.parse(await sh(`curl -s ${/Control API: (\S+)/.exec(out)![1]}/readyz`));
      expect(readyz).toMatchObject({ ready: true, devServer: false });
    } finally {
      cli.kill();
    }
  });
});
