#!/usr/bin/env node
/**
 * `tempo-worker start`: the runtime, its plugins and workers from a config file, and the control
 * API. SIGTERM / SIGINT drain every worker within the grace and exit 0; a second signal exits now.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { Runtime } from '../core/runtime/runtime.js';
import { WorkflowSandbox } from '../sandbox/workflow-sandbox.js';
import { drainOnSignals } from '../core/runtime/signals.js';
import { ConsoleLogger } from '../core/logger.js';
import { connectionFromEnvConfig } from '../core/connection/env-config.js';
import { resolveBindAddress, serveControlApi, serveDefaults, type ServedControlApi } from '../control-api/serve.js';
import { checkApiToken } from '../control-api/token.js';
import { ApiTokenRequiredError } from '../core/runtime/errors.js';
import { defaultConfig, readConfigFile } from './config.js';
import { printHelp } from './instructions.js';

// This process's own zod (the CLI is one bundle): it parses each schema a few times, so compiling
// a fast path for each on its first parse (~5–10 ms of a start) never pays off here.
z.config({ jitless: true });

const USAGE = `Usage: tempo-worker start [--config FILE] [--port N] [--address host:port] [--namespace NS] [--profile NAME] [--api-address IP]
       tempo-worker replay --workflows PATH [--interceptors MODULE]... HISTORY.json...

  start   Starts the runtime and its control API. Without --config: the example worker
          (examples/hello), Prometheus metrics and structured logs.
          Without --address / TEMPORAL_ADDRESS, a local Temporal dev server is installed and started.

  --config FILE        JSON config (see docs/cli.md)
  --port N             control API port (default ${serveDefaults.port}; 0 = any free port)
  --api-address HOST   control API bind address or name (default ${serveDefaults.hostname}; beyond loopback needs a token)
  --address host:port  Temporal frontend (default: the profile's / TEMPORAL_ADDRESS, else a dev server)
  --namespace NS       default namespace of workers (default: the profile's, else "default")
  --profile NAME       Temporal CLI config profile (TOML file + TEMPORAL_* variables, as the
                       Temporal CLI and SDKs read them; default TEMPORAL_PROFILE, else "default")

  replay  Replays histories against workflow code (exit 1 on nondeterminism); see --help there.

  Env: TEMPO_API_TOKEN (bearer token of the control API, >= 16 characters; without one a random
  token is generated, printed once and written to a file only you can read), TEMPORAL_WORKER_LOG_LEVEL.`;

async function main(): Promise<number | undefined> {
  if (process.argv[2] === 'replay') {
    await (await import('./replay.js')).runReplayCli(process.argv.slice(3));
    return Number(process.exitCode ?? 0);
  }
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      address: { type: 'string' },
      namespace: { type: 'string' },
      profile: { type: 'string' },
      'api-address': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals[0] !== 'start') {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const { config, baseDir } = values.config ? readConfigFile(values.config) : defaultConfig();
  const port = values.port !== undefined ? Number(values.port) : config.api?.port;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) throw new Error(`--port: must be an integer 0-65535, got "${values.port}"`);
  const logger = new ConsoleLogger((process.env.TEMPORAL_WORKER_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO');

  // What the control API needs is checked before anything starts, so a bad token or host costs nothing.
  const apiEnabled = config.api?.enabled !== false;
  const envToken = apiEnabled && process.env.TEMPO_API_TOKEN ? checkApiToken(process.env.TEMPO_API_TOKEN, 'TEMPO_API_TOKEN') : undefined;
  const token = config.api?.token ?? envToken;
  const hostname = values['api-address'] ?? config.api?.address ?? serveDefaults.hostname;
  if (apiEnabled && !token && !(await resolveBindAddress(hostname)).loopback) throw new ApiTokenRequiredError(hostname);

  const profile = values.profile ?? config.temporal?.profile;
  const fromProfile = connectionFromEnvConfig({ profile });
  const address = values.address ?? config.temporal?.address ?? fromProfile.address;
  if (!address) console.log('No Temporal address (--address, config, TEMPORAL_ADDRESS or a CLI profile): starting a local Temporal dev server…');
  // Workers with workflows are coming: the sandbox threads start now and load their code while
  // the runtime connects, and each bundle is prepared there as soon as it is registered.
  const sandbox = config.workers?.some((w) => w.workflowsPath !== undefined) ? await WorkflowSandbox.create(config.sandbox) : undefined;
  const runtime = await Runtime.create(
    {
      ...(address ? { address } : { devServer: true }),
      ...(profile ? { profile } : {}),
      namespace: values.namespace ?? config.temporal?.namespace ?? fromProfile.namespace ?? 'default',
      connection: config.temporal?.connection ?? {},
      ...(config.drainGraceMs !== undefined ? { drainGraceMs: config.drainGraceMs } : {}),
      ...(config.shutdownGraceTime !== undefined ? { shutdownGraceTime: config.shutdownGraceTime } : {}),
      ...(config.shutdownForceTime !== undefined ? { shutdownForceTime: config.shutdownForceTime } : {}),
      ...(config.sandbox ? { sandbox: config.sandbox } : {}),
      ...(config.moduleRoots ? { moduleRoots: config.moduleRoots } : {}),
      ...(config.allowRuntimeModules !== undefined ? { allowRuntimeModules: config.allowRuntimeModules } : {}),
      plugins: config.plugins ?? [],
      baseDir,
    },
    { logger, sandbox },
  ).catch(async (err: unknown) => {
    await sandbox?.close();
    throw err;
  });
  let api: ServedControlApi | undefined;
  // Handlers go in before workers start, so a signal during start-up still drains.
  drainOnSignals(
    async () => {
      await api?.close(2_000);
      await runtime.shutdown();
      await sandbox?.close();
    },
    { logger },
  );
  // The API binds before any worker polls: a port in use or a bad host fails the start with no task taken.
  if (apiEnabled) {
    try {
      api = await serveControlApi(runtime, {
        port: port ?? serveDefaults.port,
        hostname,
        token,
        ...(config.api?.allowedHosts ? { allowedHosts: config.api.allowedHosts } : {}),
        ...(config.api?.allowedOrigins ? { allowedOrigins: config.api.allowedOrigins } : {}),
      });
    } catch (err) {
      await runtime.shutdown({ graceMs: 0 });
      await sandbox?.close();
      throw err;
    }
  }
  for (const spec of config.workers ?? []) {
    try {
      await runtime.addWorker(spec);
    } catch (error) {
      logger.error('Worker from config not started', { taskQueue: spec.taskQueue, error });
    }
  }
  printHelp({ runtime, api, tokenSource: !api ? undefined : api.tokenFile ? { file: api.tokenFile, token: api.token } : config.api?.token ? 'config' : 'env' });
  return undefined; // keep running until a signal
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    console.error(err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : err);
    process.exit(1);
  },
);
