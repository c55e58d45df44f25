/**
 * The package as a user gets it: `npm pack`, installed into a fresh project that cannot see our
 * sources, runs a workflow through `import { Worker } from 'tempo-worker-runtime'`, and its
 * `tempo-worker` bin (one file bundled by scripts/bundle-cli.mjs) answers `--help` and runs a
 * worker with workflows and a plugin's activities from a config file.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { officialClient, temporalAddress, uniqueTaskQueue } from '../../helpers/temporal.js';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const workerScript = `
import { NativeConnection, Worker } from 'tempo-worker-runtime';
const [address, taskQueue] = process.argv.slice(2);
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowsPath: new URL('./workflows.mjs', import.meta.url).pathname,
  activities: { greet: async (name) => 'Hello, ' + name + '!' },
});
await worker.run(); // until SIGTERM, as the official worker
await connection.close();
console.log('worker stopped');
`;
const workflows = `
import { proxyActivities } from '@temporalio/workflow';
const { greet } = proxyActivities({ startToCloseTimeout: '10s' });
export async function packaged(name) { return await greet(name); }
`;

const pluginModule = `
import { defineActivityPlugin } from 'tempo-worker-runtime';
export default defineActivityPlugin({ name: 'greeter', activities: { greet: async (name) => 'Hi, ' + name + '!' } });
`;

describe('the packed package, installed elsewhere', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tempo-pack-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: repo, maxBuffer: 16 << 20 });
    const tarball = path.join(dir, stdout.trim().split('\n').at(-1)!);
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(path.join(dir, 'worker.mjs'), workerScript);
    await writeFile(path.join(dir, 'workflows.mjs'), workflows);
    await writeFile(path.join(dir, 'greeter-plugin.mjs'), pluginModule);
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: dir, maxBuffer: 16 << 20 });
  }, 300_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers npx tempo-worker --help', async () => {
    const { stdout } = await run('npx', ['--no-install', 'tempo-worker', '--help'], { cwd: dir });
    expect(stdout).toMatch(/tempo-worker start/);
  });

  /** Runs `args` with node in the consumer's directory, runs the `packaged` workflow on it, then SIGTERMs it. */
  async function resultAndExit(args: string[], taskQueue: string, name: string): Promise<{ result: string; code: number | null; output: string }> {
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_WORKER_LOG_LEVEL: 'WARN', XDG_RUNTIME_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const { client, close } = await officialClient();
    try {
      const result = await client.workflow.execute('packaged', { taskQueue, workflowId: taskQueue, args: [name] });
      return { result, code: await (child.kill('SIGTERM'), exited), output };
    } finally {
      await close();
      child.kill('SIGKILL');
    }
  }

  it('tempo-worker start runs the workflows and plugin activities of its config, and exits 0 on SIGTERM', async () => {
    const taskQueue = uniqueTaskQueue('packaged-cli');
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({ api: { port: 0 }, plugins: [{ module: './greeter-plugin.mjs' }], workers: [{ taskQueue, activityPlugins: ['greeter'], workflowsPath: './workflows.mjs' }] }),
    );
    const bin = path.join(dir, 'node_modules', 'tempo-worker-runtime', 'dist', 'cli', 'main.js');
    const { result, code, output } = await resultAndExit([bin, 'start', '--config', 'config.json'], taskQueue, 'CLI');
    expect(result).toBe('Hi, CLI!');
    expect(code, output).toBe(0);
  });

  it('runs a workflow through import { Worker } from the package, and stops on SIGTERM', async () => {
    const taskQueue = uniqueTaskQueue('packaged');
    const { result, code, output } = await resultAndExit(['worker.mjs', temporalAddress(), taskQueue], taskQueue, 'Package');
    expect(result).toBe('Hello, Package!');
    expect(code, output).toBe(0);
    expect(output).toContain('worker stopped');
  });
});
