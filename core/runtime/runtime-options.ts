import { z } from 'zod';
import { connectionInputSchema, type ConnectionInput } from '../connection/connection-options.js';
import { pluginRefSchema, type PluginRef } from '../../plugins/loader.js';
import { temporalName } from '../validate.js';
import { shutdownDefaults, shutdownInputShape, type ShutdownInput, type ShutdownOptions } from '../worker/shutdown-options.js';

/** Options of a {@link Runtime}; durations carry their unit. */
export interface RuntimeOptions extends ShutdownOptions {
  /** `host:port` of the Temporal frontend. @default the envconfig profile's (TEMPORAL_ADDRESS, the CLI's TOML file), else a dev server when `devServer` */
  address?: string;
  /** Namespace of worker specs that name none. @default the envconfig profile's, else 'default' */
  namespace: string;
  /**
   * The `@temporalio/envconfig` profile to read connection settings from (the Temporal CLI's
   * TOML file, overridden by `TEMPORAL_*` variables); explicit options win over it.
   * @default TEMPORAL_PROFILE, else 'default'
   */
  profile?: string;
  /** TLS, API key, metadata, timeouts: shared by the connection of every namespace. */
  connection: Omit<ConnectionInput, 'address' | 'namespace'>;
  /**
   * With no address (and no TEMPORAL_ADDRESS), install and start `temporal server start-dev`,
   * stopped at shutdown. Off by default: a runtime without an address fails with ADDRESS_REQUIRED
   * instead of silently running on an in-memory server. @default false
   */
  devServer: boolean;
  // drainGraceMs / shutdownForceTimeMs (ShutdownOptions): of drain, remove and shutdown when the call or worker gives none.
  /** Plugins loaded at start. One that fails is logged and listed, never fatal. @default [] */
  plugins: PluginRef[];
  /** Bound on each plugin's setup. @default 10000 */
  pluginLoadTimeoutMs: number;
  /** Base of relative plugin specifiers and workflow paths. @default process.cwd() */
  baseDir: string;
  /**
   * Directories plugin modules and workflow paths may come from (relative ones against `baseDir`);
   * anything else, and every URL scheme but `builtin:`/`file:`, is refused before it is loaded
   * (docs/runtime.md, "Where code comes from"). @default [baseDir]
   */
  moduleRoots?: string[];
  /**
   * Let control-API requests (POST /plugins, POST /workers' workflowsPath) name modules the
   * operator did not configure; they must still lie under `moduleRoots`. Off, a request may only
   * name modules the config or the embedding code named. @default false
   */
  allowRuntimeModules: boolean;
  /** One sticky queue per namespace for every entity with workflows (docs/sticky-queues.md). */
  stickyQueue: StickyQueueRuntimeOptions;
  /** The workflow sandbox shared by every entity (docs/workflows.md); unset fields take the sandbox's defaults. */
  sandbox: SandboxRuntimeOptions;
}

/** The serialisable part of the sandbox's options (see `SandboxOptions` in sandbox/options.ts for the defaults). */
export interface SandboxRuntimeOptions {
  threads?: number;
  maxOldGenerationSizeMb?: number;
  deadlockTimeoutMs?: number;
  isolation?: 'shared-context' | 'context-per-run';
}

export interface StickyQueueRuntimeOptions {
  /** Share one sticky queue per namespace; false gives each entity its own, as the official SDK does. @default true */
  shared: boolean;
  /** Long polls on the shared queue, for all entities of the namespace together. @default 8 */
  pollers: number;
  /** Sticky tasks held at once across entities (each poll holds one); entity limits still apply. @default 100 */
  maxConcurrentTaskExecutions: number;
}

export const runtimeDefaults: Omit<RuntimeOptions, 'address'> = {
  namespace: 'default',
  connection: {},
  devServer: false,
  ...shutdownDefaults,
  plugins: [],
  pluginLoadTimeoutMs: 10_000,
  baseDir: process.cwd(),
  allowRuntimeModules: false,
  stickyQueue: { shared: true, pollers: 8, maxConcurrentTaskExecutions: 100 },
  sandbox: {},
};

/** What callers may pass. */
export type RuntimeInput = Partial<Omit<RuntimeOptions, 'stickyQueue' | keyof ShutdownOptions>> & ShutdownInput & { stickyQueue?: Partial<StickyQueueRuntimeOptions> };

export const runtimeInputSchema = z
  .object({
    address: connectionInputSchema.shape.address,
    namespace: temporalName({ maxBytes: 255 }),
    profile: z.string().min(1),
    connection: connectionInputSchema.omit({ address: true, namespace: true }),
    devServer: z.boolean(),
    ...shutdownInputShape,
    plugins: z.array(pluginRefSchema),
    pluginLoadTimeoutMs: z.number().int().positive(),
    baseDir: z.string().min(1),
    moduleRoots: z.array(z.string().min(1)).min(1, 'must name at least one directory'),
    allowRuntimeModules: z.boolean(),
    stickyQueue: z
      .object({ shared: z.boolean(), pollers: z.number().int().positive(), maxConcurrentTaskExecutions: z.number().int().positive() })
      .partial()
      .strict()
      .refine((o) => (o.maxConcurrentTaskExecutions ?? 100) >= (o.pollers ?? 8), 'maxConcurrentTaskExecutions must be at least pollers: each poll holds a slot'),
    sandbox: z
      .object({
        threads: z.number().int().positive().max(256),
        maxOldGenerationSizeMb: z.number().int().min(16),
        deadlockTimeoutMs: z.number().int().positive(),
        isolation: z.enum(['shared-context', 'context-per-run']),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();
