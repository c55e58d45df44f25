/**
 * The official `bundlerOptions.webpackConfigHook` over our esbuild bundler.
 *
 * The hook is called with a webpack-shaped description of what our bundler does (see
 * {@link describeBundleConfig}: `mode`, `entry`, `resolve.extensions`, `resolve.alias`,
 * `externals`, `plugins`, `module.rules`, `output.library`, `devtool`), and what it returns is
 * compared with what it was given. Changes esbuild can do with exactly webpack's meaning are
 * translated; any other change is refused with {@link WebpackConfigHookError}, never dropped:
 *
 * - `externals` in object form, module → global variable (webpack's `var` externals, the type
 *   of the official bundle's `var` library): an import of exactly that module gives the global.
 *   Taking out the function this description puts there, which is the official bundler's
 *   disallowed-module check, switches the check off: disallowed modules are then bundled as the
 *   ignored stubs `resolve.alias` already makes of them (what webpack's `false` aliases do).
 * - `resolve.alias` entries added: `name` (and its subpaths) or `name$` (exactly) → an absolute
 *   path, a package name, or `false` (an ignored stub).
 */
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { RuntimeError } from '../core/errors.js';
import { DISALLOWED_MODULES } from './bundle-guard.js';
import { SandboxErrorCode } from './errors.js';

/** A webpack `Configuration` as the hook sees it; typed loosely, as webpack's own type is not ours to import. */
export type WebpackConfiguration = Record<string, unknown>;
/** The official hook's type: `(config: Configuration) => Configuration`. */
export type WebpackConfigHook = (config: WebpackConfiguration) => WebpackConfiguration;

/** An import replaced by a global of the sandbox: `module.exports = <path joined by '.'>`. */
export type ExternalGlobals = Readonly<Record<string, readonly string[]>>;

/** One `resolve.alias` entry a hook added. */
export interface BundleAlias {
  readonly name: string;
  /** `name$` in webpack: only the specifier itself, not its subpaths. */
  readonly exact: boolean;
  /** An absolute path or a package specifier; `false` makes an ignored stub. */
  readonly target: string | false;
}

/** What a hook's changes mean for our bundler. */
export interface WebpackHookAdjustments {
  readonly externals: ExternalGlobals;
  readonly aliases: readonly BundleAlias[];
  /** False when the hook took out the disallowed-module check: disallowed imports become ignored stubs. */
  readonly checkDisallowed: boolean;
}

export const NO_ADJUSTMENTS: WebpackHookAdjustments = { externals: {}, aliases: [], checkDisallowed: true };

/** A change a hook made that our bundler cannot make with the same meaning. */
export class WebpackConfigHookError extends RuntimeError {
  constructor(field: string, why: string) {
    super(
      SandboxErrorCode.webpackHookUnsupported,
      `bundlerOptions.webpackConfigHook changed ${field}, which this runtime's esbuild bundler cannot honour: ${why}. ` +
        'Only externals (module → global variable) and added resolve.alias entries are translated; remove that change from the hook, or run this worker on @temporalio/worker.',
    );
  }
}

/**
 * Stands for the official bundler's disallowed-module check in `externals`, where webpack has it.
 * Never called: it only marks whether the hook kept the check.
 */
function disallowedModulesCheck(): undefined {
  return undefined;
}

export interface DescribeInput {
  readonly workflowsPath: string;
  readonly ignoreModules: readonly string[];
  readonly payloadConverterPath?: string;
  readonly failureConverterPath?: string;
}

/** The webpack-shaped description of our bundle configuration a hook is given. */
export function describeBundleConfig(input: DescribeInput): WebpackConfiguration {
  const workflowsPath = path.resolve(input.workflowsPath);
  return {
    mode: 'development',
    entry: [path.join(path.dirname(workflowsPath), 'workflow-bundle-entry.cjs')],
    resolve: {
      extensions: ['.ts', '.js'],
      alias: {
        __temporal_custom_payload_converter$: input.payloadConverterPath ? path.resolve(input.payloadConverterPath) : false,
        __temporal_custom_failure_converter$: input.failureConverterPath ? path.resolve(input.failureConverterPath) : false,
        ...Object.fromEntries([...input.ignoreModules, ...DISALLOWED_MODULES].map((m) => [m, false])),
      },
    },
    externals: disallowedModulesCheck,
    plugins: [],
    module: { rules: [] },
    output: { library: '__TEMPORAL__' },
    devtool: 'source-map',
  };
}

/** Calls the hook on our description and translates its changes; throws for any it cannot honour. */
export function applyWebpackConfigHook(hook: WebpackConfigHook, input: DescribeInput): WebpackHookAdjustments {
  const before = describeBundleConfig(input);
  const returned: unknown = hook(describeBundleConfig(input));
  if (!isPlainObject(returned)) throw new WebpackConfigHookError('the configuration', `the hook returned ${describe(returned)}, not a configuration object`);
  for (const key of new Set([...Object.keys(before), ...Object.keys(returned)])) {
    if (key === 'externals' || key === 'resolve') continue;
    if (!isDeepStrictEqual(before[key], returned[key])) throw new WebpackConfigHookError(key, unsupportedWhy(key));
  }
  const resolveBefore = before.resolve as Record<string, unknown>;
  const resolve = returned.resolve;
  if (!isPlainObject(resolve)) throw new WebpackConfigHookError('resolve', `it is ${describe(resolve)}; keep the resolve object it was given`);
  for (const key of new Set([...Object.keys(resolveBefore), ...Object.keys(resolve)])) {
    if (key !== 'alias' && !isDeepStrictEqual(resolveBefore[key], resolve[key])) throw new WebpackConfigHookError(`resolve.${key}`, 'esbuild resolves with its own fixed rules here');
  }
  const { externals, checkDisallowed } = translateExternals(returned.externals);
  return { externals, checkDisallowed, aliases: addedAliases(resolveBefore.alias as Record<string, unknown>, resolve.alias) };
}

function unsupportedWhy(key: string): string {
  switch (key) {
    case 'plugins':
      return 'webpack plugins cannot run inside esbuild';
    case 'module':
      return 'webpack loaders and rules cannot run inside esbuild (TypeScript and JavaScript are built in)';
    default:
      return 'it has no esbuild counterpart here';
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** webpack external types that, in a sandbox's `vm` context, all name the context's global. */
const GLOBAL_TYPES = /^(?:(?:var|global|this|window|self)\s+)?(.+)$/;

function translateExternals(value: unknown): { externals: ExternalGlobals; checkDisallowed: boolean } {
  const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
  let checkDisallowed = false;
  const externals: Record<string, readonly string[]> = {};
  for (const item of items) {
    if (item === disallowedModulesCheck) checkDisallowed = true;
    else if (typeof item === 'function') throw new WebpackConfigHookError('externals', 'an externals function cannot run inside esbuild; map modules to globals with an object instead');
    else if (!isPlainObject(item)) throw new WebpackConfigHookError('externals', `${describe(item)} externals are not supported; use an object mapping each module to a global variable`);
    else for (const [module, to] of Object.entries(item)) externals[module] = globalPath(module, to);
  }
  return { externals, checkDisallowed };
}

function globalPath(module: string, to: unknown): readonly string[] {
  const field = `externals[${JSON.stringify(module)}]`;
  if (Array.isArray(to) && to.length > 0 && to.every((p) => typeof p === 'string' && IDENTIFIER.test(p))) return to as string[];
  const name = typeof to === 'string' ? GLOBAL_TYPES.exec(to.trim())?.[1] : undefined;
  if (name !== undefined && IDENTIFIER.test(name)) return [name];
  throw new WebpackConfigHookError(field, `${describe(to)} is not a global variable name (only 'name', 'var name' or ['name', 'property'] externals are supported: other external types load a module at run time, which a workflow sandbox cannot)`);
}

function addedAliases(before: Record<string, unknown>, after: unknown): BundleAlias[] {
  if (!isPlainObject(after)) throw new WebpackConfigHookError('resolve.alias', `it is ${describe(after)}; add entries to the alias object instead`);
  for (const [name, target] of Object.entries(before)) {
    if (!isDeepStrictEqual(after[name], target)) throw new WebpackConfigHookError(`resolve.alias[${JSON.stringify(name)}]`, 'the aliases this bundler sets (converters, ignored and disallowed modules) cannot be changed or removed; use ignoreModules or dataConverter for those');
  }
  const added: BundleAlias[] = [];
  for (const [key, target] of Object.entries(after)) {
    if (key in before) continue;
    const field = `resolve.alias[${JSON.stringify(key)}]`;
    const exact = key.endsWith('$');
    const name = exact ? key.slice(0, -1) : key;
    if (!name) throw new WebpackConfigHookError(field, 'an empty module name cannot be aliased');
    if (target === false) added.push({ name, exact, target });
    else if (typeof target === 'string' && target && !target.startsWith('.')) added.push({ name, exact, target });
    else throw new WebpackConfigHookError(field, `${describe(target)} is not supported as an alias target (give an absolute path, a package name or false)`);
  }
  return added;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RegExp) return `a RegExp (${String(value)})`;
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
