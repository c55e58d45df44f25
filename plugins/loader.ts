/**
 * Finds a plugin module, imports it and checks the shape of its export, so a bad module fails
 * with one message naming the module and what it lacks instead of a TypeError at first use.
 */
import { z } from 'zod';
import { PluginError } from '../core/runtime/errors.js';
import type { ModuleOrigin, ModulePolicy } from '../core/runtime/module-policy.js';
import type { PluginDefinition } from './contracts.js';

/** Where a plugin comes from: a module specifier plus its options. */
export interface PluginRef {
  /**
   * `builtin:prometheus`, a path (relative to the config file or cwd), a `file:` URL, or a package
   * name; anything but `builtin:` must resolve to a regular file under the module roots.
   */
  readonly module: string;
  readonly options?: unknown;
}

export const pluginRefSchema = z
  .object({
    module: z.string().min(1, 'must name a module').max(2000),
    options: z.unknown().optional(),
  })
  .strict();

/** The plugins shipped in this package, by their `builtin:` name. */
export const BUILTIN_PLUGINS: Readonly<Record<string, string>> = {
  prometheus: './prometheus/index.js',
  'structured-logging': './structured-logging/index.js',
};

/** The URL of the built-in plugin `name`; throws PLUGIN_LOAD_FAILED naming the built-ins. */
export function builtinPluginUrl(name: string): string {
  const rel = Object.hasOwn(BUILTIN_PLUGINS, name) ? BUILTIN_PLUGINS[name] : undefined; // not `__proto__` & co.
  if (!rel) {
    const all = Object.keys(BUILTIN_PLUGINS).map((b) => `builtin:${b}`).join(', ');
    throw new PluginError('PLUGIN_LOAD_FAILED', `Plugin module "builtin:${name}" is not a built-in plugin; built-ins: ${all}.`, `builtin:${name}`);
  }
  return new URL(rel, import.meta.url).href;
}

/**
 * Checks `specifier` against the module policy (refusing it before anything is imported),
 * imports it and returns its checked plugin definition; throws a {@link PluginError} or a
 * `ModuleRefusedError`.
 */
export async function importPlugin(specifier: string, policy: ModulePolicy, origin: ModuleOrigin): Promise<PluginDefinition> {
  const target = policy.pluginTarget(specifier, origin, builtinPluginUrl);
  let mod: unknown;
  try {
    mod = await import(target);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new PluginError('PLUGIN_LOAD_FAILED', `Could not import plugin module "${specifier}": ${reason}`, specifier, { cause });
  }
  return checkPluginExport(mod, specifier);
}

const KINDS = ['activity', 'interceptor', 'metrics'] as const;
const isFn = (v: unknown): v is (...a: unknown[]) => unknown => typeof v === 'function';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Checks that a module namespace exports a plugin definition (its default export, or an export
 * named `plugin`) and lists every missing or wrong member in one {@link PluginError}.
 */
export function checkPluginExport(mod: unknown, module: string): PluginDefinition {
  const ns = isObj(mod) ? mod : {};
  const def = ns.default ?? ns.plugin;
  if (!isObj(def)) {
    const exported = Object.keys(ns).filter((k) => k !== 'default');
    throw new PluginError(
      'PLUGIN_INVALID',
      `Plugin module "${module}" exports no plugin: expected a default export (or an export named "plugin") made with defineActivityPlugin/defineInterceptorPlugin/defineMetricsPlugin; it exports [${exported.join(', ')}].`,
      module,
    );
  }
  const problems: string[] = [];
  if (typeof def.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._@/-]{0,127}$/.test(def.name)) problems.push('name (a non-empty string of letters, digits, . _ - @ /)');
  if (!KINDS.includes(def.kind as (typeof KINDS)[number])) problems.push(`kind (one of ${KINDS.join(', ')})`);
  if (def.optionsSchema !== undefined && !(isObj(def.optionsSchema) && isFn(def.optionsSchema.safeParse))) problems.push('optionsSchema (a zod schema)');
  if (def.kind === 'activity') {
    const given = (['activities', 'activityClass', 'setup'] as const).filter((k) => def[k] !== undefined);
    if (given.length !== 1) problems.push(`exactly one of activities, activityClass, setup (got ${given.length ? given.join(', ') : 'none'})`);
    if (def.activities !== undefined) {
      if (!isObj(def.activities)) problems.push('activities (an object of functions)');
      else {
        const bad = Object.entries(def.activities).filter(([, v]) => !isFn(v)).map(([k]) => k);
        if (bad.length) problems.push(`activities.${bad.join(', activities.')} (functions)`);
      }
    }
    if (def.activityClass !== undefined && !isFn(def.activityClass)) problems.push('activityClass (a class)');
    if (def.setup !== undefined && !isFn(def.setup)) problems.push('setup (a function)');
  } else if (def.kind === 'interceptor' || def.kind === 'metrics') {
    if (!isFn(def.setup)) problems.push('setup (a function)');
  }
  if (problems.length) {
    const label = typeof def.name === 'string' ? ` ("${def.name}")` : '';
    throw new PluginError('PLUGIN_INVALID', `Plugin module "${module}"${label} is missing or has wrong: ${problems.join('; ')}.`, module);
  }
  return def as unknown as PluginDefinition;
}
