/**
 * The esbuild plugin that keeps workflow bundles deterministic: it rejects imports of Node
 * built-ins and of Temporal packages that only work outside workflows, swaps the three built-ins
 * workflow code may use for sandbox-safe stand-ins, and supplies the custom converter modules
 * the workflow library asks for by name. Modules in `ignoreModules` become stubs that throw only
 * when used, as the official bundler's empty modules effectively do.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import type { ForbiddenImport } from './errors.js';

/**
 * Built-ins that workflow code has long been allowed to import, each replaced by the globals the
 * sandbox injects (see thread/context-globals.ts), so nothing from Node's own module is reachable.
 */
const BUILTIN_STAND_INS: Readonly<Record<string, string>> = {
  assert: 'module.exports = globalThis.assert;',
  url: 'module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };',
  util: 'module.exports = { TextEncoder: globalThis.TextEncoder, TextDecoder: globalThis.TextDecoder };',
};

/** Packages that pull in I/O, native code or worker internals; never valid inside a workflow. */
const FORBIDDEN_PACKAGES: readonly string[] = [
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
  '@temporalio/core-bridge',
  '@temporalio/common/lib/internal-non-workflow',
  '@temporalio/interceptors-opentelemetry/lib/client',
  '@temporalio/interceptors-opentelemetry/lib/worker',
];

/** Module names the workflow library `require`s and a bundler must provide (empty when unset). */
const CONVERTER_MODULES = {
  __temporal_custom_payload_converter: 'payloadConverterPath',
  __temporal_custom_failure_converter: 'failureConverterPath',
} as const;

/**
 * An ignored module: any export used throws, naming the module; merely importing it does not.
 * The exports object's prototype is the throwing proxy, so that esbuild's ESM interop (which
 * copies own properties onto an object with the same prototype) keeps named imports throwing.
 */
function ignoredStub(specifier: string): string {
  return [
    `var name = ${JSON.stringify(specifier)};`,
    `var trap = new Proxy({}, { get: function (_, key) {`,
    `  if (typeof key !== 'string' || key === '__esModule' || key === 'then' || key in Object.prototype) return Object.prototype[key];`,
    `  return function () { throw new Error("Module '" + name + "' is in bundlerOptions.ignoreModules: '" + key + "' cannot be used inside a workflow"); };`,
    `} });`,
    `module.exports = Object.create(trap);`,
  ].join('\n');
}

/**
 * protobufjs (pulled in by `@temporalio/proto` and `@temporalio/common/lib/proto-utils`) probes
 * for `fs` inside a try block and works without it, which is what webpack's bundle does (the
 * probe throws there). It gets `null`, its "not available" answer.
 */
const PROTOBUFJS_FS_PROBE = /[\\/]protobufjs[\\/]src[\\/]util[\\/]fs\.js$/;

export interface GuardOptions {
  readonly payloadConverterPath?: string;
  readonly failureConverterPath?: string;
  /** Specifiers (and their subpaths) replaced by an empty module instead of being rejected. */
  readonly ignoreModules: readonly string[];
  /**
   * False: disallowed imports become ignored stubs instead of violations (a webpackConfigHook
   * that takes out the official bundler's check, see webpack-config-hook.ts).
   * @default true
   */
  readonly checkDisallowed?: boolean;
}

/** The namespace of the guard's generated modules; its `onLoad` serves them to any plugin. */
export const GUARD_NAMESPACE = 'tempo-sandbox';
const VIRTUAL = GUARD_NAMESPACE;

/** The guard's module for an ignored `specifier` (throws when one of its exports is used). */
export function ignoredModule(specifier: string): { path: string; namespace: string } {
  return { path: `ignored/${specifier}`, namespace: VIRTUAL };
}

/** What the official bundler calls `disallowedModules`: Node built-ins but the three stood in for, and the packages above. */
export const DISALLOWED_MODULES: readonly string[] = [
  ...builtinModules.filter((m) => !m.startsWith('_') && !(m in BUILTIN_STAND_INS)),
  ...FORBIDDEN_PACKAGES,
];

/** True when `specifier` is `name` or a subpath of it (`fs/promises` matches `fs`). */
function matchesModule(specifier: string, names: readonly string[]): boolean {
  return names.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Builds the guard plugin. Violations are collected rather than failing on the first one, so
 * the caller can report every offending import at once; read them with `violations()` after
 * the build.
 */
export function createBundleGuard(options: GuardOptions): { plugin: Plugin; violations(): ForbiddenImport[] } {
  const found = new Map<string, ForbiddenImport>();
  const builtins = builtinModules.filter((m) => !m.startsWith('_'));
  // One filter for every name we care about, so esbuild only calls into JS for those imports.
  const watched = [...builtins, ...FORBIDDEN_PACKAGES, ...options.ignoreModules, ...Object.keys(CONVERTER_MODULES)];
  const filter = new RegExp(`^(node:.*|(${watched.map(escapeRegExp).join('|')})(/.*)?)$`);

  const plugin: Plugin = {
    name: 'tempo-workflow-guard',
    setup(build) {
      build.onResolve({ filter }, (args) => {
        const specifier = args.path;
        if (specifier in CONVERTER_MODULES) {
          const key = CONVERTER_MODULES[specifier as keyof typeof CONVERTER_MODULES];
          const target = options[key];
          return target ? { path: path.resolve(target) } : { path: 'empty', namespace: VIRTUAL };
        }
        const bare = specifier.startsWith('node:') ? specifier.slice('node:'.length) : specifier;
        // Before ignoreModules: an ignored `fs` stub would look like a real fs to the probe.
        if (bare === 'fs' && PROTOBUFJS_FS_PROBE.test(args.importer)) return { path: 'null', namespace: VIRTUAL };
        // `ignoreModules: ['fs']` covers `node:fs` too (the official bundler cannot take `node:` imports at all).
        if (matchesModule(specifier, options.ignoreModules) || matchesModule(bare, options.ignoreModules)) return ignoredModule(specifier);
        if (bare in BUILTIN_STAND_INS) return { path: `builtin/${bare}`, namespace: VIRTUAL };
        if (matchesModule(bare, builtins) || matchesModule(specifier, FORBIDDEN_PACKAGES)) {
          if (options.checkDisallowed === false) return ignoredModule(specifier);
          const importer = args.importer ? path.relative(process.cwd(), args.importer) || args.importer : '<entry>';
          // `require.resolve('fs')` names a module without loading it: no violation.
          if (args.kind !== 'require-resolve') found.set(`${specifier}\0${importer}`, { module: specifier, importer });
          // Resolve to an empty module so the build goes on and reports every violation at once.
          return { path: 'empty', namespace: VIRTUAL };
        }
        return undefined;
      });
      build.onLoad({ filter: /.*/, namespace: VIRTUAL }, (args) => {
        if (args.path.startsWith('ignored/')) return { contents: ignoredStub(args.path.slice('ignored/'.length)), loader: 'js' };
        if (args.path === 'null') return { contents: 'module.exports = null;', loader: 'js' };
        const standIn = args.path.startsWith('builtin/') ? BUILTIN_STAND_INS[args.path.slice('builtin/'.length)] : undefined;
        return { contents: standIn ?? 'module.exports = {};', loader: 'js' };
      });
    },
  };
  return { plugin, violations: () => [...found.values()] };
}
