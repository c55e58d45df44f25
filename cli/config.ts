/**
 * The CLI's config file (JSON), validated by zod with messages that name the field
 * (`config.api.port: must be <= 65535`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { runtimeInputSchema } from '../core/runtime/runtime-options.js';
import { workerSpecSchema } from '../core/runtime/worker-spec.js';
import { validate } from '../core/validate.js';
import { pluginRefSchema } from '../plugins/loader.js';
import { apiTokenSchema } from '../control-api/token.js';

export const cliConfigSchema = z
  .object({
    temporal: z
      .object({
        address: runtimeInputSchema.shape.address,
        namespace: runtimeInputSchema.shape.namespace,
        /** A Temporal CLI config profile (envconfig); explicit fields above win over it. */
        profile: runtimeInputSchema.shape.profile,
        connection: runtimeInputSchema.shape.connection,
      })
      .strict()
      .optional(),
    api: z
      .object({
        enabled: z.boolean().optional(),
        port: z.number().int().min(0).max(65_535, 'must be <= 65535').optional(),
        address: z.string().min(1).optional(),
        token: apiTokenSchema.optional(),
        allowedHosts: z.array(z.string().min(1)).optional(),
        allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^/]+$/, 'must be an origin: scheme://host[:port]')).optional(),
      })
      .strict()
      .optional(),
    drainGraceMs: z.number().int().min(0).optional(),
    /** Official names of the runtime's default drain grace and force time (ms or `'30s'`). */
    shutdownGraceTime: runtimeInputSchema.shape.shutdownGraceTime,
    shutdownForceTime: runtimeInputSchema.shape.shutdownForceTime,
    moduleRoots: runtimeInputSchema.shape.moduleRoots,
    allowRuntimeModules: runtimeInputSchema.shape.allowRuntimeModules,
    sandbox: runtimeInputSchema.shape.sandbox,
    plugins: z.array(pluginRefSchema).optional(),
    workers: z.array(workerSpecSchema).optional(),
  })
  .strict();

export type CliConfig = z.output<typeof cliConfigSchema>;

/** Reads and validates a config file; relative paths in it resolve against its folder. */
export function readConfigFile(file: string): { config: CliConfig; baseDir: string } {
  const full = path.resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(full, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`Cannot read config file ${full}: ${(cause as Error).message}`, { cause });
  }
  return { config: validate(cliConfigSchema, raw, 'config'), baseDir: path.dirname(full) };
}

/** The package root (source checkout or dist/). */
const root = fileURLToPath(new URL('..', import.meta.url));
const pick = (rel: string) => (existsSync(path.join(root, `${rel}.ts`)) ? `${rel}.ts` : `${rel}.js`);

/** Without --config: metrics, structured logs, and the example worker of examples/hello. */
export function defaultConfig(): { config: CliConfig; baseDir: string } {
  return {
    baseDir: root,
    config: {
      plugins: [{ module: 'builtin:prometheus' }, { module: 'builtin:structured-logging' }, { module: `./${pick('examples/hello/plugin')}` }],
      workers: [{ id: 'hello', taskQueue: 'hello', activityPlugins: ['hello'], workflowsPath: pick('examples/hello/workflows') }],
    },
  };
}
