/**
 * The package as a user gets it: `npm pack`, installed into a fresh project that cannot see our
 * sources, runs a workflow through `import { Worker } from 'tempo-worker-runtime'`, and its
 * `tempo-worker` bin answers `--help`.
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

describe('the packed package, installed elsewhere', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tempo-pack-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: repo, maxBuffer: 16 << 20 });
    const tarball = path.join(dir, stdout.trim().split('\n').at(-1)!);
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(path.join(dir, 'worker.mjs'), workerScript);
    await writeFile(path.join(dir, 'workflows.mjs'), workflows);
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: dir, maxBuffer: 16 << 20 });
  }, 300_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers npx tempo-worker --help', async () => {
    const { stdout } = await run('npx', ['--no-install', 'tempo-worker', '--help'], { cwd: dir });
    expect(stdout).toMatch(/tempo-worker start/);
  });

  it('runs a workflow through import { Worker } from the package, and stops on SIGTERM', async () => {
    const taskQueue = uniqueTaskQueue('packaged');
    const child = spawn(process.execPath, ['worker.mjs', temporalAddress(), taskQueue], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const { client, close } = await officialClient();
    try {
      const result = await client.workflow.execute('packaged', { taskQueue, workflowId: taskQueue, args: ['Package'] });
      expect(result).toBe('Hello, Package!');
    } finally {
      await close();
      child.kill('SIGTERM');
    }
    expect(await exited, output).toBe(0);
    expect(output).toContain('worker stopped');
  });
});
