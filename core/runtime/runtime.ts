/**
 * The runtime: many Worker Entities in one process. It owns one connection per namespace (shared),
 * one tsyringe child container (never the global one), the plugins, and the entities.
 */
import { randomUUID } from 'node:crypto';
import type { LoadedDataConverter } from '@temporalio/common';
import { ConsoleLogger, type Logger } from '../logger.js';
import { validate } from '../validate.js';
import { TemporalDevServer } from '../dev-server/temporal-dev-server.js';
import type { WorkerEntity } from '../worker/worker-entity.js';
import { workerEntityDefaults } from '../worker/worker-entity-options.js';
import { compileShutdown } from '../worker/shutdown-options.js';
import { StickyQueue } from '../workflow-worker/sticky-queue.js';
import type { Connection } from '../connection/connection.js';
import type { WorkerState } from '../worker/worker-state.js';
import { rootContainer, type DependencyContainer } from '../../plugins/di.js';
import { RuntimeViewToken, type PluginDefinition } from '../../plugins/contracts.js';
import type { PluginRef } from '../../plugins/loader.js';
import { PluginRegistry, type LoadedPluginInfo, type PluginFailure } from '../../plugins/registry.js';
import { ConnectionPool } from './connection-pool.js';
import { connectionFromEnvConfig } from '../connection/env-config.js';
import { AddressRequiredError, RuntimeShutDownError, WorkerConflictError, WorkerNotFoundError } from './errors.js';
import { ModulePolicy, type ModuleOrigin } from './module-policy.js';
import type { RuntimeMetricEvent } from './metric-events.js';
import { runtimeDefaults, runtimeInputSchema, type RuntimeInput, type RuntimeOptions } from './runtime-options.js';
import { buildEntity, resolveSpec } from './worker-factory.js';
import { WorkflowSandbox } from '../../sandbox/workflow-sandbox.js';
import { workerInfo, type WorkerInfo, type WorkerRecord } from './worker-info.js';
import { workerSpecInputSchema, type WorkerSpec } from './worker-spec.js';

/** Services a host lends the runtime. */
export interface RuntimeDeps {
  /** Parent of the runtime's child container; register host services (a DB client…) on it or on `runtime.container`. @default tsyringe's root */
  container?: DependencyContainer;
  logger?: Logger;
  dataConverter?: LoadedDataConverter;
  /** The workflow sandbox shared by every entity. @default one the runtime creates at the first worker with workflows, closed at shutdown */
  sandbox?: WorkflowSandbox;
}

/** Readiness as GET /readyz reports it. */
export interface Readiness {
  ready: boolean;
  connected: boolean;
  shuttingDown: boolean;
  /** Whether the runtime runs on a dev server it started itself. */
  devServer: boolean;
  workers: { total: number; running: number; failed: number };
}

/** Who asks: the embedding code / config (`operator`, the default) or a control-API request. */
export interface CallOrigin {
  /** @default 'operator' */
  origin?: ModuleOrigin;
}

/** States in which an entity holds its namespace + task queue against a second one. */
const HOLDING: ReadonlySet<WorkerState> = new Set(['INITIALIZED', 'RUNNING', 'PAUSED', 'DRAINING']);

export class Runtime {
  /** The runtime's own child container: plugins resolve from it; dispose()d at shutdown. */
  readonly container: DependencyContainer;
  readonly plugins: PluginRegistry;
  /** Which modules may be imported or bundled (core/runtime/module-policy.ts). */
  readonly modules: ModulePolicy;
  readonly logger: Logger;
  private readonly workers = new Map<string, WorkerRecord>();
  /** Ids and queue keys reserved by addWorker calls still connecting, so concurrent adds conflict. */
  private readonly pending = new Map<string, string>();
  private shuttingDown: Promise<void> | undefined;
  private ownSandbox: Promise<WorkflowSandbox> | undefined;
  /** The shared sticky queue of each namespace (docs/sticky-queues.md). */
  private readonly stickyQueues = new Map<string, StickyQueue>();

  private constructor(
    readonly options: RuntimeOptions & { address: string },
    private readonly pool: ConnectionPool,
    private readonly deps: RuntimeDeps,
    private readonly devServer: TemporalDevServer | undefined,
  ) {
    this.logger = deps.logger ?? new ConsoleLogger();
    this.container = (deps.container ?? rootContainer).createChildContainer();
    this.container.register(RuntimeViewToken, {
      useValue: { list: () => this.list(), sharedStickyQueues: () => [...this.stickyQueues].map(([namespace, q]) => ({ namespace, name: q.name, activePolls: q.activePolls })) },
    });
    this.modules = new ModulePolicy({ roots: options.moduleRoots ?? [options.baseDir], baseDir: options.baseDir, allowRuntimeModules: options.allowRuntimeModules });
    this.plugins = new PluginRegistry({ container: this.container, logger: this.logger, baseDir: options.baseDir, loadTimeoutMs: options.pluginLoadTimeoutMs, modulePolicy: this.modules });
  }

  /**
   * Validates the options, finds the server (`address`, else the envconfig profile's (TEMPORAL_ADDRESS, the CLI's TOML file), else a dev server
   * when `devServer` is on, else ADDRESS_REQUIRED),
   * connects the default namespace (failing fast when it cannot), and loads the configured
   * plugins; a plugin that fails is logged and listed in `plugins.failures`, never fatal.
   */
  static async create(input: RuntimeInput = {}, deps: RuntimeDeps = {}): Promise<Runtime> {
    const { shutdownGraceTime, shutdownForceTime, ...parsed } = validate(runtimeInputSchema, input, 'runtime');
    const shutdown = compileShutdown({ shutdownGraceTime, shutdownForceTime, ...parsed });
    // The ecosystem's connection settings (envconfig profile + TEMPORAL_* variables); explicit options win.
    const { address: envAddress, namespace: envNamespace, ...envConnection } = connectionFromEnvConfig({ profile: parsed.profile });
    const options = {
      ...runtimeDefaults,
      ...(envNamespace ? { namespace: envNamespace } : {}),
      ...parsed,
      ...shutdown,
      connection: { ...envConnection, ...parsed.connection },
      stickyQueue: { ...runtimeDefaults.stickyQueue, ...parsed.stickyQueue },
    } as RuntimeOptions;
    let address = options.address ?? envAddress;
    let devServer: TemporalDevServer | undefined;
    if (!address && options.devServer) {
      devServer = await TemporalDevServer.start();
      address = devServer.address;
    }
    if (!address) throw new AddressRequiredError();
    let runtime: Runtime | undefined;
    const pool = new ConnectionPool({ ...options.connection, address }, (e) => runtime?.emit(e));
    runtime = new Runtime({ ...options, address }, pool, deps, devServer);
    try {
      await pool.get(options.namespace);
    } catch (err) {
      await devServer?.stop();
      throw err;
    }
    for (const ref of options.plugins) await runtime.loadPlugin(ref).catch(() => undefined);
    return runtime;
  }

  /**
   * Imports and registers a plugin module. Throws a PluginError, or MODULE_REFUSED /
   * MODULE_NOT_CONFIGURED before importing anything (the runtime itself is unaffected).
   */
  async loadPlugin(ref: PluginRef, opts: CallOrigin = {}): Promise<LoadedPluginInfo> {
    this.assertOpen('load a plugin');
    try {
      return await this.plugins.load(ref, opts.origin);
    } catch (error) {
      this.logger.error('Plugin failed to load', { module: ref.module, error });
      throw error;
    }
  }

  /** Loaded plugins and the loads that failed. */
  listPlugins(): { plugins: LoadedPluginInfo[]; failures: PluginFailure[] } {
    return { plugins: this.plugins.list(), failures: [...this.plugins.failures] };
  }

  /** Registers an in-process plugin definition (embedding). */
  registerPlugin<O>(def: PluginDefinition<O>, options?: O): Promise<LoadedPluginInfo> {
    this.assertOpen('register a plugin');
    return this.plugins.register(def as PluginDefinition, options);
  }

  /**
   * Adds and starts a Worker Entity. Refuses a second entity on the same namespace + task queue
   * (WORKER_CONFLICT) unless `allowDuplicate`; bad input throws before anything changes.
   */
  async addWorker(spec: WorkerSpec, opts: CallOrigin = {}): Promise<WorkerInfo> {
    this.assertOpen('add a worker');
    const parsed = validate(workerSpecInputSchema, spec, 'worker');
    const resolved = resolveSpec(parsed, { defaultNamespace: this.options.namespace, modules: this.modules, origin: opts.origin ?? 'operator', plugins: this.plugins });
    const { namespace } = resolved;
    const key = `${namespace}\u0000${parsed.taskQueue}`;
    const id = parsed.id ?? `${parsed.taskQueue.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 80)}-${randomUUID().slice(0, 8)}`.replace(/^[^A-Za-z0-9]/, 'w');
    // A FAILED worker is kept only to show why it failed: a new one may take its id.
    if (this.workers.get(id)?.entity.state === 'FAILED') await this.remove(id);
    if (this.workers.has(id) || this.pending.has(id)) throw new WorkerConflictError('WORKER_ID_TAKEN', `A worker with id "${id}" exists already.`);
    if (!parsed.allowDuplicate) {
      const holder = [...this.workers.values()].find((w) => `${w.namespace}\u0000${w.entity.taskQueue}` === key && HOLDING.has(w.entity.state));
      const pendingHolder = [...this.pending.entries()].find(([, k]) => k === key);
      if (holder || pendingHolder) {
        throw new WorkerConflictError(
          'WORKER_CONFLICT',
          `Worker "${holder?.id ?? pendingHolder![0]}" already polls task queue "${parsed.taskQueue}" in namespace "${namespace}". Drain or delete it first, or pass allowDuplicate: true to run both.`,
        );
      }
    }
    this.pending.set(id, key);
    try {
      const connection = await this.pool.get(namespace);
      this.assertOpen('add a worker');
      const sandbox = resolved.workflowSide === 'entity' ? await this.sharedSandbox() : undefined;
      this.assertOpen('add a worker');
      const stickyQueue = sandbox && this.options.stickyQueue.shared ? this.sharedStickyQueue(connection) : undefined;
      const entity = buildEntity(resolved, { connection, logger: this.logger, dataConverter: this.deps.dataConverter, sandbox, stickyQueue, workerId: id, emit: (e) => this.emit(e), metricMeter: this.plugins.metricsPlugins().find((p) => p.meter)?.meter });
      const record: WorkerRecord = {
        id,
        namespace,
        entity,
        createdAt: new Date().toISOString(),
        workflowsPath: resolved.workflowsPath,
        workflowSide: resolved.workflowSide,
        activityPlugins: parsed.activityPlugins ?? [],
        interceptors: resolved.interceptors.map((p) => p.name),
        ignored: resolved.ignored,
        // The spec's official names (`shutdownGraceTime` / `shutdownForceTime`) win, as on the entity.
        ...compileShutdown(parsed),
      };
      if (resolved.ignored.length) this.logger.warn('Worker spec fields not supported by the entity yet were ignored', { workerId: id, ignored: resolved.ignored });
      this.workers.set(id, record);
      try {
        // Bundling happens here. A workflow module refused here (it does not bundle, a forbidden
        // import) fails the add, and the worker stays listed FAILED with its lastError, so
        // GET /workers and /readyz say why nothing runs. Its id may be taken again.
        await entity.start();
      } catch (err) {
        if (entity.state !== 'FAILED') {
          this.workers.delete(id);
          await entity.close().catch(() => undefined);
        }
        throw err;
      }
      if (parsed.paused) entity.pause();
      this.logger.info('Worker added', { workerId: id, namespace, taskQueue: parsed.taskQueue });
      return workerInfo(record);
    } finally {
      this.pending.delete(id);
    }
  }

  list(): WorkerInfo[] {
    return [...this.workers.values()].map(workerInfo);
  }

  /** The worker called `id`; throws WORKER_NOT_FOUND. */
  get(id: string): WorkerInfo {
    return workerInfo(this.record(id));
  }

  /** The entity itself, for hosts that need more than {@link WorkerInfo}. */
  entity(id: string): WorkerEntity {
    return this.record(id).entity;
  }

  /** Stops polling; tasks in flight finish. Throws ILLEGAL_STATE unless RUNNING. */
  pause(id: string): WorkerInfo {
    const r = this.record(id);
    r.entity.pause();
    return workerInfo(r);
  }

  /** Polls again after {@link pause}. Throws ILLEGAL_STATE unless PAUSED. */
  resume(id: string): WorkerInfo {
    const r = this.record(id);
    r.entity.resume();
    return workerInfo(r);
  }

  /** Stops polling, lets in-flight work finish within `graceMs`; resolves once DRAINED. */
  async drain(id: string, opts: { graceMs?: number } = {}): Promise<WorkerInfo> {
    const r = this.record(id);
    await this.drainRecord(r, opts.graceMs);
    return workerInfo(r);
  }

  /** Drains (or with `force`, hands in-flight work back at once), closes and forgets the worker. */
  remove(id: string, opts: { force?: boolean; graceMs?: number } = {}): Promise<void> {
    const r = this.record(id);
    r.removing ??= (async () => {
      await this.drainRecord(r, opts.force ? 0 : opts.graceMs);
      await r.entity.close();
      this.workers.delete(id);
      this.logger.info('Worker removed', { workerId: id });
    })();
    return r.removing;
  }

  /** Connected, not shutting down, at least one entity RUNNING and none FAILED. */
  async readiness(): Promise<Readiness> {
    const states = [...this.workers.values()].map((w) => w.entity.state);
    const workers = { total: states.length, running: states.filter((s) => s === 'RUNNING').length, failed: states.filter((s) => s === 'FAILED').length };
    const shuttingDown = this.shuttingDown !== undefined;
    const connected = !shuttingDown && (await this.pool.healthy());
    return { ready: connected && !shuttingDown && workers.running > 0 && workers.failed === 0, connected, shuttingDown, devServer: this.devServer !== undefined, workers };
  }

  /** The first metrics plugin's exposition (GET /metrics), or undefined when none has one. */
  async scrapeMetrics(): Promise<{ contentType: string; body: string } | undefined> {
    const p = this.plugins.metricsPlugins().find((m) => m.scrape);
    return p?.scrape!();
  }

  /** Sends one event to every metrics plugin; a throwing plugin is ignored. */
  emit(event: RuntimeMetricEvent): void {
    for (const p of this.plugins.metricsPlugins()) {
      try {
        p.handle(event);
      } catch {
        // metrics never break work
      }
    }
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown !== undefined;
  }

  /**
   * Drains every entity within `graceMs`, then closes plugins, connections, the container and the
   * dev server it started, in that order; a failing step is logged and the rest still run.
   * Calling it again returns the same promise.
   */
  shutdown(opts: { graceMs?: number } = {}): Promise<void> {
    this.shuttingDown ??= (async () => {
      const graceMs = opts.graceMs ?? this.options.drainGraceMs;
      this.logger.info('Runtime shutting down', { workers: this.workers.size, graceMs });
      const steps: Array<[string, () => Promise<unknown>]> = [
        ['drain workers', () => Promise.allSettled([...this.workers.keys()].map((id) => this.remove(id, { graceMs })))],
        ['close sticky queues', () => Promise.all([...this.stickyQueues.values()].map((q) => q.close()))],
        ['close sandbox', async () => (await this.ownSandbox?.catch(() => undefined))?.close()],
        ['close plugins', () => this.plugins.closeAll()],
        ['close connections', () => this.pool.closeAll()],
        ['dispose container', () => Promise.resolve(this.container.dispose())],
        ['stop dev server', async () => this.devServer?.stop()],
      ];
      for (const [name, step] of steps) {
        try {
          await step();
        } catch (error) {
          this.logger.error(`Shutdown step failed: ${name}`, { error });
        }
      }
    })();
    return this.shuttingDown;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  private record(id: string): WorkerRecord {
    const r = this.workers.get(id);
    if (!r) throw new WorkerNotFoundError(id);
    return r;
  }

  /** Bounded by grace + force time (the entity's drain answers whatever still runs then). */
  private async drainRecord(r: WorkerRecord, graceMs: number | undefined): Promise<void> {
    const { entity } = r;
    const grace = graceMs ?? r.drainGraceMs ?? this.options.drainGraceMs;
    if (entity.state === 'STOPPED') return;
    await entity.drain({ graceMs: grace, forceTimeMs: r.shutdownForceTimeMs ?? this.options.shutdownForceTimeMs });
  }

  /** The shared sticky queue of `namespace`, if an entity with workflows has used one. */
  stickyQueueOf(namespace = this.options.namespace): StickyQueue | undefined {
    return this.stickyQueues.get(namespace);
  }

  /** One per namespace, as connections are; it polls only while an entity is registered. */
  private sharedStickyQueue(connection: Connection): StickyQueue {
    let q = this.stickyQueues.get(connection.namespace);
    if (!q) {
      const { pollers, maxConcurrentTaskExecutions } = this.options.stickyQueue;
      const namespace = connection.namespace;
      // Shared-sticky polls count as the entities' own sticky polls do, by the task's normal queue.
      const onPoll = (gotTask: boolean, taskQueue: string) => this.emit({ type: 'poll', namespace, taskQueue, workerId: '', kind: 'workflow', gotTask, sticky: true });
      q = new StickyQueue({ connection, identity: workerEntityDefaults.identity, logger: this.logger, pollers, maxConcurrentTaskExecutions, onPoll });
      this.stickyQueues.set(connection.namespace, q);
    }
    return q;
  }

  /** The workflow sandbox's settings, once a worker with workflows has created it. */
  async sandboxSettings(): Promise<WorkflowSandbox['settings'] | undefined> {
    const sandbox = this.deps.sandbox ?? (await this.ownSandbox);
    return sandbox?.settings;
  }

  /** The sandbox every entity shares: the host's, or one created on first need. */
  private sharedSandbox(): Promise<WorkflowSandbox> {
    if (this.deps.sandbox) return Promise.resolve(this.deps.sandbox);
    if (!this.ownSandbox) {
      this.ownSandbox = WorkflowSandbox.create(this.options.sandbox);
      this.ownSandbox.catch(() => (this.ownSandbox = undefined));
    }
    return this.ownSandbox;
  }

  private assertOpen(action: string): void {
    if (this.shuttingDown) throw new RuntimeShutDownError(action);
  }
}
