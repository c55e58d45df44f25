/**
 * The two parts of a workflow bundle and how they are joined into one script.
 *
 * A bundle must let one `vm` context serve many runs (see thread/shared-context.ts) while each
 * run still gets its own instance of every workflow module: a module's top-level `let counter`
 * must not be shared by two runs. esbuild hoists the variables of ESM modules into one scope,
 * so per-run module instances cannot be had by swapping a module cache (what the official
 * webpack-based worker does). Instead the bundle is built in two parts:
 *
 * - the **library** part (`@temporalio/workflow`, `@temporalio/common` and what they import):
 *   evaluated once per context, instantiated once, its module exports frozen in shared mode;
 * - the **user** part (workflows, interceptors, converters and their other dependencies): built
 *   as CommonJS and wrapped in a function, `__TEMPORAL__.userModules(require)`. Each run calls
 *   it once, so every user module (hoisted ESM variables included) lives in that call's scope.
 *   Its imports of the library are external and resolved to the library part's instances.
 */
import path from 'node:path';
import type { Plugin } from 'esbuild';

/** Packages shared by all runs of a context; workflow code imports them, never instantiates them. */
const SHARED_PACKAGE = /^@temporalio\/(workflow|common)(\/.*)?$/;
/**
 * Modules of the shared packages that stay in the user part: they use protobufjs, whose roots
 * and types must come from the same instance as the user's own (`@temporalio/proto`, generated
 * roots), or protobufjs' `instanceof` checks fail ("type must be a Type"); and its module state
 * is mutable, so it cannot sit among the frozen shared modules.
 */
const USER_PART_MODULES = /^@temporalio\/common\/lib\/(protobufs|proto-utils|converter\/protobuf-payload-converters)(\.js)?$/;

/** Global holding the current run's user-module scope; it lives in the run's globals bag. */
export const USER_SCOPE_GLOBAL = '__tempo_user';

/** Absolute path for a relative file path; package names stay as they are. */
export function resolveSpecifier(specifier: string): string {
  return specifier.startsWith('.') || path.isAbsolute(specifier) ? path.resolve(specifier) : specifier;
}

export interface UserPartOptions {
  readonly workflowsPath: string;
  readonly interceptorModules: readonly string[];
  readonly payloadConverterPath?: string;
  readonly failureConverterPath?: string;
}

/**
 * Entry of the user part (CommonJS, so that esbuild keeps each `require()` lazy: user modules
 * may read `Date.now()` at top level, which only works once the run's activator exists).
 */
export function userEntrySource(options: UserPartOptions): string {
  const req = (file: string) => `require(${JSON.stringify(resolveSpecifier(file))})`;
  const converter = (file: string | undefined, name: string) => (file ? `() => ${req(file)}.${name}` : '() => undefined');
  const interceptors = [...new Set(options.interceptorModules)].map(req);
  return [
    `module.exports = {`,
    `  importWorkflows: () => ${req(options.workflowsPath)},`,
    `  importInterceptors: () => [${interceptors.join(', ')}],`,
    `  payloadConverter: ${converter(options.payloadConverterPath, 'payloadConverter')},`,
    `  failureConverter: ${converter(options.failureConverterPath, 'failureConverter')},`,
    `};`,
  ].join('\n');
}

/**
 * Makes the shared packages external in the user part and records each specifier used, so the
 * library part can preload exactly those.
 */
export function sharedImportsPlugin(found: Set<string>): Plugin {
  return {
    name: 'tempo-shared-imports',
    setup(build) {
      build.onResolve({ filter: SHARED_PACKAGE }, (args) => {
        if (USER_PART_MODULES.test(args.path)) return undefined;
        found.add(args.path);
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * Entry of the library part. Every shared specifier is required here, at evaluation, so that
 * all shared module instances exist before any run (and can be frozen). `userScope()` creates
 * the current run's user modules on first use; in shared mode the global it caches them in is
 * swapped per run with the rest of the run's globals.
 */
export function libraryEntrySource(sharedSpecifiers: Iterable<string>): string {
  const modules = [...new Set(sharedSpecifiers)].sort().map((s) => `  ${JSON.stringify(s)}: require(${JSON.stringify(s)}),`);
  return [
    `const workerInterface = require('@temporalio/workflow/lib/worker-interface.js');`,
    `require('@temporalio/workflow/lib/global-overrides.js').overrideGlobals();`,
    `const modules = {`,
    ...modules,
    `};`,
    `const requireShared = (id) => {`,
    `  if (Object.prototype.hasOwnProperty.call(modules, id)) return modules[id];`,
    `  throw new Error('Module ' + id + ' was not bundled with the workflow library');`,
    `};`,
    `const userScope = () => (globalThis.${USER_SCOPE_GLOBAL} ??= globalThis.__TEMPORAL__.userModules(requireShared));`,
    `module.exports = {`,
    `  api: workerInterface,`,
    `  modules,`,
    `  importWorkflows: () => userScope().importWorkflows(),`,
    `  importInterceptors: () => userScope().importInterceptors(),`,
    `  userScope,`,
    `};`,
  ].join('\n');
}

/**
 * In the library part, the converter modules the workflow library `require`s by name delegate
 * to the current run's user scope (worker-interface reads them inside `initRuntime`).
 */
export function converterDelegatesPlugin(): Plugin {
  const names: Record<string, string> = {
    __temporal_custom_payload_converter: 'payloadConverter',
    __temporal_custom_failure_converter: 'failureConverter',
  };
  return {
    name: 'tempo-converter-delegates',
    setup(build) {
      build.onResolve({ filter: /^__temporal_custom_(payload|failure)_converter$/ }, (args) => ({ path: args.path, namespace: 'tempo-delegate' }));
      build.onLoad({ filter: /.*/, namespace: 'tempo-delegate' }, (args) => ({
        contents: `module.exports = { get ${names[args.path]}() { return globalThis.__TEMPORAL__.userScope().${names[args.path]}(); } };`,
        loader: 'js',
      }));
    },
  };
}

interface RawSourceMap {
  readonly version: number;
  readonly [key: string]: unknown;
}

/** How a script of ours (or an adapted official one) says it keeps user modules per run. */
export const USER_MODULES_MARKER = '__TEMPORAL__.userModules = function';

/** Lines before the user part's code inside the wrapper (see {@link joinParts}). */
const WRAPPER_HEAD = [`${USER_MODULES_MARKER} (require) {`, 'var module = { exports: {} }, exports = module.exports;'];

/**
 * Joins the parts into one script, and their source maps into one index map (sections), which
 * Node's `SourceMap` understands; the user part starts on a known line.
 */
export function joinParts(library: { code: string; map?: string }, user: { code: string; map?: string }): { code: string; map?: string } {
  const head = library.code.endsWith('\n') ? library.code : `${library.code}\n`;
  const code = [head + WRAPPER_HEAD.join('\n'), user.code, 'return module.exports;', '};', ''].join('\n');
  if (library.map === undefined || user.map === undefined) return { code };
  const userLine = head.split('\n').length - 1 + WRAPPER_HEAD.length;
  const sections = [
    { offset: { line: 0, column: 0 }, map: JSON.parse(library.map) as RawSourceMap },
    { offset: { line: userLine, column: 0 }, map: JSON.parse(user.map) as RawSourceMap },
  ];
  return { code, map: JSON.stringify({ version: 3, sections }) };
}
