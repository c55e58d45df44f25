import type { Logger } from '../core/logger.js';
import { ModuleRefusedError, PluginError } from '../core/runtime/errors.js';
import { ModulePolicy, type ModuleOrigin } from '../core/runtime/module-policy.js';
import {
  ActivityPluginToken,
  InterceptorPluginToken,
  MetricsPluginToken,
  type ActivityClass,
  type ActivityMap,
  type ActivityPlugin,
  type InterceptorPlugin,
  type MetricsPlugin,
  type PluginContext,
  type PluginDefinition,
  type PluginKind,
} from './contracts.js';
import type { DependencyContainer, InjectionToken } from './di.js';
import { importPlugin, type PluginRef } from './loader.js';

/** A plugin the runtime has set up. */
export interface LoadedPluginInfo {
  readonly name: string;
  readonly kind: PluginKind;
  /** The specifier it was loaded from; absent for plugins registered in-process. */
  readonly module?: string;
  /** Activity type names (activity plugins). */
  readonly activities?: readonly string[];
}

/** A load that failed; kept so GET /plugins can show why. */
export interface PluginFailure {
  readonly module: string;
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

export interface PluginRegistryDeps {
  container: DependencyContainer;
  logger: Logger;
  /** Base of relative specifiers. */
  baseDir: string;
  loadTimeoutMs: number;
  /** What may be imported. @default roots [baseDir], no runtime modules */
  modulePolicy?: ModulePolicy;
}

const TOKENS: Record<PluginKind, InjectionToken<unknown>> = {
  activity: ActivityPluginToken,
  interceptor: InterceptorPluginToken,
  metrics: MetricsPluginToken,
};

/**
 * Loads plugins, sets them up once and registers each under its contract's token in the runtime's
 * child container. Nothing is registered unless setup succeeded, so a failed load leaves no trace
 * but its {@link PluginFailure}.
 */
export class PluginRegistry {
  private readonly loaded = new Map<string, { info: LoadedPluginInfo; instance: ActivityPlugin | InterceptorPlugin | MetricsPlugin }>();
  private readonly reserved = new Set<string>();
  private metricsCache: MetricsPlugin[] = [];
  readonly failures: PluginFailure[] = [];
  private readonly policy: ModulePolicy;

  constructor(private readonly deps: PluginRegistryDeps) {
    this.policy = deps.modulePolicy ?? new ModulePolicy({ roots: [deps.baseDir], baseDir: deps.baseDir, allowRuntimeModules: false });
  }

  /**
   * Imports a module and registers its plugin; records and rethrows a {@link PluginError} (or the
   * policy's `ModuleRefusedError`: then nothing was imported). `origin` says who named the module.
   */
  async load(ref: PluginRef, origin: ModuleOrigin = 'operator'): Promise<LoadedPluginInfo> {
    try {
      const def = await importPlugin(ref.module, this.policy, origin);
      return await this.register(def, ref.options, ref.module);
    } catch (err) {
      const e = err instanceof PluginError || err instanceof ModuleRefusedError ? err : new PluginError('PLUGIN_SETUP_FAILED', `Plugin module "${ref.module}" failed: ${(err as Error).message}`, ref.module, { cause: err });
      this.failures.push({ module: ref.module, code: e.code, message: e.message, at: new Date().toISOString() });
      if (this.failures.length > 100) this.failures.shift();
      throw e;
    }
  }

  /** Sets up an in-process definition (embedding) and registers it. */
  async register(def: PluginDefinition, rawOptions?: unknown, module?: string): Promise<LoadedPluginInfo> {
    const where = module ? `Plugin module "${module}" ("${def.name}")` : `Plugin "${def.name}"`;
    if (this.loaded.has(def.name) || this.reserved.has(def.name)) throw new PluginError('PLUGIN_NAME_TAKEN', `${where}: a plugin named "${def.name}" is loaded already.`, module);
    let options = rawOptions;
    if (def.optionsSchema) {
      const parsed = def.optionsSchema.safeParse(rawOptions ?? {});
      if (!parsed.success) {
        const fields = parsed.error.issues.map((i) => `options${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
        throw new PluginError('PLUGIN_OPTIONS_INVALID', `${where}: invalid options: ${fields.join('; ')}`, module);
      }
      options = parsed.data;
    }
    this.reserved.add(def.name);
    try {
      const ctx: PluginContext = { name: def.name, options, container: this.deps.container, logger: this.deps.logger };
      const instance = await this.withTimeout(where, () => this.instantiate(def, ctx));
      const info: LoadedPluginInfo = { name: def.name, kind: def.kind, module, ...(def.kind === 'activity' ? { activities: Object.keys((instance as ActivityPlugin).activities).sort() } : {}) };
      this.deps.container.register(TOKENS[def.kind], { useValue: instance });
      this.loaded.set(def.name, { info, instance });
      if (def.kind === 'metrics') this.metricsCache = this.resolveAll(MetricsPluginToken);
      this.deps.logger.info('Plugin loaded', { plugin: def.name, kind: def.kind, module });
      return info;
    } finally {
      this.reserved.delete(def.name);
    }
  }

  list(): LoadedPluginInfo[] {
    return [...this.loaded.values()].map((p) => p.info);
  }

  /** The activity plugin called `name`; throws PLUGIN_NOT_FOUND naming the loaded ones. */
  activityPlugin(name: string): ActivityPlugin {
    const p = this.loaded.get(name);
    if (!p || p.info.kind !== 'activity') {
      const names = this.list().filter((i) => i.kind === 'activity').map((i) => i.name);
      throw new PluginError('PLUGIN_NOT_FOUND', `No activity plugin named "${name}" is loaded; loaded activity plugins: [${names.join(', ')}].`);
    }
    return p.instance as ActivityPlugin;
  }

  /** The interceptor plugins called `names`, or every loaded one when `names` is undefined. */
  interceptorPlugins(names?: readonly string[]): InterceptorPlugin[] {
    if (!names) return this.resolveAll(InterceptorPluginToken);
    return names.map((name) => {
      const p = this.loaded.get(name);
      if (!p || p.info.kind !== 'interceptor') {
        const all = this.list().filter((i) => i.kind === 'interceptor').map((i) => i.name);
        throw new PluginError('PLUGIN_NOT_FOUND', `No interceptor plugin named "${name}" is loaded; loaded interceptor plugins: [${all.join(', ')}].`);
      }
      return p.instance as InterceptorPlugin;
    });
  }

  /** Every metrics plugin, cached: this is on the hot path of every task. */
  metricsPlugins(): readonly MetricsPlugin[] {
    return this.metricsCache;
  }

  /** Closes plugins that hold resources; keeps going when one fails. */
  async closeAll(): Promise<void> {
    for (const { instance, info } of this.loaded.values()) {
      try {
        await (instance as MetricsPlugin).close?.();
      } catch (error) {
        this.deps.logger.warn('Plugin close failed', { plugin: info.name, error });
      }
    }
  }

  private resolveAll<T>(token: InjectionToken<T>): T[] {
    return this.deps.container.isRegistered(token, true) ? this.deps.container.resolveAll(token) : [];
  }

  private async instantiate(def: PluginDefinition, ctx: PluginContext): Promise<ActivityPlugin | InterceptorPlugin | MetricsPlugin> {
    if (def.kind === 'activity') {
      const activities = def.activities ?? (def.activityClass ? activitiesOf(ctx.container.resolve(def.activityClass as ActivityClass)) : await def.setup!(ctx));
      if (typeof activities !== 'object' || activities === null || Object.values(activities).some((f) => typeof f !== 'function')) {
        throw new PluginError('PLUGIN_INVALID', `Plugin "${def.name}": setup must return an object of activity functions.`);
      }
      return { name: def.name, activities: { ...activities } };
    }
    const made = await def.setup(ctx);
    if (typeof made !== 'object' || made === null) throw new PluginError('PLUGIN_INVALID', `Plugin "${def.name}": setup must return an object.`);
    if (def.kind === 'metrics' && typeof (made as MetricsPlugin).handle !== 'function') {
      throw new PluginError('PLUGIN_INVALID', `Plugin "${def.name}": a metrics plugin's setup must return { handle(event) }.`);
    }
    return { ...made, name: def.name } as InterceptorPlugin | MetricsPlugin;
  }

  private async withTimeout<T>(where: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PluginError('PLUGIN_SETUP_FAILED', `${where}: setup did not finish within ${this.deps.loadTimeoutMs} ms.`)), this.deps.loadTimeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      if (err instanceof PluginError) throw err;
      throw new PluginError('PLUGIN_SETUP_FAILED', `${where}: setup failed: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The public methods of an activity class instance (not `_`-prefixed), bound to it, by name. */
export function activitiesOf(instance: object): ActivityMap {
  const out: Record<string, (...a: unknown[]) => unknown> = {};
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const value = (instance as Record<string, unknown>)[key];
      if (key === 'constructor' || key.startsWith('_') || key in out || typeof value !== 'function') continue;
      out[key] = (value as (...a: unknown[]) => unknown).bind(instance);
    }
  }
  return out;
}
