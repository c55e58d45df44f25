/**
 * Bundles workflow code with esbuild into one script for a `vm` context.
 *
 * The script defines one global, `__TEMPORAL__`, which is what the workflow library's
 * `initRuntime` looks for: `api` (the worker interface the sandbox drives), plus
 * `importWorkflows()` and `importInterceptors()`. Those two load user code lazily, because user
 * modules may read `Date.now()` or `Math.random()` at top level and those only work once the
 * run's activator is installed. The script has a shared library part and a per-run user part:
 * see bundle-parts.ts for why and how.
 */
import path from 'node:path';
import type { BuildFailure, BuildOptions, Message, Metafile, Plugin } from 'esbuild';
import { BundleCache, digestInputs, sha256 } from './bundle-cache.js';
import { privateCacheDir } from './cache-dir.js';
import { createBundleGuard } from './bundle-guard.js';
import { assertBundlableEntry, withBundleTimeout } from './bundle-limits.js';
import { converterDelegatesPlugin, joinParts, libraryEntrySource, resolveSpecifier, sharedImportsPlugin, userEntrySource } from './bundle-parts.js';
import { ForbiddenImportError, WorkflowBundleError } from './errors.js';
import { requireResolvePlugin } from './require-resolve-plugin.js';
import { bundleExternalsPlugin } from './bundle-externals.js';
import type { BundleAlias, ExternalGlobals } from './webpack-config-hook.js';

/** Options of {@link bundleWorkflowCode}. */
export interface BundleOptions {
  /** A workflow module, or a directory whose index exports the workflows. */
  readonly workflowsPath: string;
  /** Modules exporting `interceptors()` (a `WorkflowInterceptorsFactory`), loaded for every run. */
  readonly workflowInterceptorModules?: readonly string[];
  /** Module exporting `payloadConverter`, used instead of the default one inside workflows. */
  readonly payloadConverterPath?: string;
  /** Module exporting `failureConverter`, used instead of the default one inside workflows. */
  readonly failureConverterPath?: string;
  /**
   * Imports replaced by a stub instead of being rejected, for code paths you know are never run
   * inside a workflow: importing it works, using any of its exports throws.
   * @default []
   */
  readonly ignoreModules?: readonly string[];
  /** Imports replaced by a global of the sandbox (a webpackConfigHook's `externals`, see webpack-config-hook.ts). */
  readonly externals?: ExternalGlobals;
  /** A webpackConfigHook's added `resolve.alias` entries. */
  readonly aliases?: readonly BundleAlias[];
  /**
   * False: disallowed imports become ignored stubs instead of being refused (a webpackConfigHook
   * that takes out the official bundler's check does that).
   * @default true
   */
  readonly checkDisallowed?: boolean;
  /**
   * Emit a source map, used to name the original file and line in deadlock errors.
   * @default true
   */
  readonly sourceMap?: boolean;
  /**
   * Directory for an on-disk cache that survives restarts; `false` keeps the cache in memory only.
   * @default a private per-user directory (`~/.cache/tempo-worker/bundles`, mode 0700; see cache-dir.ts)
   */
  readonly cacheDir?: string | false;
  /**
   * Longest a build may take before it fails with WORKFLOW_BUNDLE_FAILED.
   * @default 60000
   */
  readonly timeoutMs?: number;
}

/** The defaults of {@link BundleOptions}, in one place. */
export const BUNDLE_DEFAULTS = {
  workflowInterceptorModules: [] as readonly string[],
  ignoreModules: [] as readonly string[],
  externals: {} as ExternalGlobals,
  aliases: [] as readonly BundleAlias[],
  checkDisallowed: true,
  sourceMap: true,
  cacheDir: undefined as string | false | undefined,
  timeoutMs: 60_000,
} as const;

/** A bundle ready for {@link WorkflowSandbox.registerBundle}. Plain data: it can be cloned and cached. */
export interface WorkflowBundle {
  /** Content hash of `code`: the same code always gets the same id. */
  readonly id: string;
  /** The script: defines the global `__TEMPORAL__`. */
  readonly code: string;
  /** Source map (JSON, without sources content), when built with `sourceMap: true`. */
  readonly sourceMap?: string;
  /** File name the script is compiled under; appears in workflow stack traces. */
  readonly filename: string;
  /** Absolute paths of the files bundled; the cache checks them for changes. */
  readonly inputs: readonly string[];
}

/** Names of the generated entries; they exist only in memory, so the cache must not watch them. */
/**
 * 3: ignored modules throw when used, require.resolve rewritten; 2: library and user parts
 * (bundle-parts.ts); 1 was a single IIFE sharing user modules.
 */
const BUNDLE_LAYOUT = 3;
const USER_ENTRY_NAME = 'workflow-bundle-entry.cjs';
const LIBRARY_ENTRY_NAME = 'workflow-library-entry.cjs';

const caches = new Map<string, BundleCache>();

function cacheFor(dir: string | undefined): BundleCache {
  const key = dir === undefined ? '' : path.resolve(dir);
  let cache = caches.get(key);
  if (cache === undefined) {
    cache = new BundleCache(dir === undefined ? undefined : key);
    caches.set(key, cache);
  }
  return cache;
}

function formatMessages(messages: readonly Message[]): string {
  return messages
    .map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text))
    .join('\n');
}

/**
 * Bundles the workflows at `workflowsPath` into one script. Returns a cached bundle when the
 * options and every input file's content are unchanged.
 *
 * @throws {ForbiddenImportError} code `WORKFLOW_BUNDLE_FORBIDDEN_IMPORT`, naming each import and its importer
 * @throws {WorkflowBundleError} code `WORKFLOW_BUNDLE_FAILED` for any other build error
 */
export async function bundleWorkflowCode(options: BundleOptions): Promise<WorkflowBundle> {
  const opts = { ...BUNDLE_DEFAULTS, ...options };
  const workflowsPath = path.resolve(opts.workflowsPath);
  await assertBundlableEntry(workflowsPath);
  const cacheKey = sha256(
    JSON.stringify({
      // Bumped when the script's layout changes: an on-disk cache must not serve the old one.
      layout: BUNDLE_LAYOUT,
      workflowsPath,
      interceptors: opts.workflowInterceptorModules.map(resolveSpecifier),
      payload: opts.payloadConverterPath && path.resolve(opts.payloadConverterPath),
      failure: opts.failureConverterPath && path.resolve(opts.failureConverterPath),
      ignore: opts.ignoreModules,
      externals: opts.externals,
      aliases: opts.aliases,
      checkDisallowed: opts.checkDisallowed,
      sourceMap: opts.sourceMap,
    }),
  );
  const cache = cacheFor(opts.cacheDir === false ? undefined : (opts.cacheDir ?? privateCacheDir('bundles')));
  const cached = await cache.get(cacheKey);
  if (cached !== undefined) return cached;

  const guard = createBundleGuard({
    payloadConverterPath: opts.payloadConverterPath,
    failureConverterPath: opts.failureConverterPath,
    ignoreModules: opts.ignoreModules,
    checkDisallowed: opts.checkDisallowed,
  });
  const hookPlugins = [bundleExternalsPlugin(opts.externals, opts.aliases)].filter((p) => p !== undefined);
  const cwd = process.cwd();
  const common: BuildOptions = {
    absWorkingDir: cwd,
    outfile: path.join(cwd, 'workflow-bundle.js'), // never written; anchors source-map paths to cwd
    bundle: true,
    write: false,
    metafile: true,
    // A vm context has no Node APIs: resolve packages the way a browser bundle would.
    platform: 'browser',
    target: 'es2022',
    sourcemap: opts.sourceMap ? 'external' : false,
    sourcesContent: false,
    // Sources are relative to the build's directory; stack traces resolve them against this.
    sourceRoot: cwd,
    legalComments: 'none',
    logLevel: 'silent',
  };
  // Resolve the workflow library from the user's project, like their own imports do.
  const stdin = (contents: string, sourcefile: string) => ({ contents, resolveDir: path.dirname(workflowsPath), sourcefile, loader: 'js' as const });
  const run = async (options: BuildOptions, plugins: Plugin[]) => {
    try {
      // Loaded here, not at start-up: a start whose bundles come from the disk cache never needs it.
      const { build } = await import('esbuild');
      return await withBundleTimeout(build({ ...common, ...options, plugins: [...hookPlugins, ...plugins, guard.plugin] }), opts.timeoutMs, workflowsPath);
    } catch (err) {
      if (err instanceof WorkflowBundleError) throw err; // the time limit: already says what happened
      const violations = guard.violations();
      if (violations.length > 0) throw new ForbiddenImportError(violations);
      const errors = (err as Partial<BuildFailure>).errors;
      const detail = errors ? formatMessages(errors) : String(err);
      throw new WorkflowBundleError(`Failed to bundle workflows at ${workflowsPath}:\n${detail}`, { cause: err });
    }
  };
  // The user part first: it tells which library modules workflow code imports.
  const sharedImports = new Set<string>(['@temporalio/workflow']);
  const userEntry = userEntrySource({ ...opts, workflowsPath, interceptorModules: opts.workflowInterceptorModules });
  const user = await run({ stdin: stdin(userEntry, USER_ENTRY_NAME), format: 'cjs' }, [sharedImportsPlugin(sharedImports), requireResolvePlugin()]);
  const library = await run({ stdin: stdin(libraryEntrySource(sharedImports), LIBRARY_ENTRY_NAME), format: 'iife', globalName: '__TEMPORAL__' }, [converterDelegatesPlugin()]);
  const violations = guard.violations();
  if (violations.length > 0) throw new ForbiddenImportError(violations);

  const part = (result: { outputFiles?: { path: string; text: string }[] }) => ({
    code: result.outputFiles?.find((f) => f.path.endsWith('.js'))?.text ?? '',
    map: result.outputFiles?.find((f) => f.path.endsWith('.map'))?.text,
  });
  const { code, map: sourceMap } = joinParts(part(library), part(user));
  const inputs = inputFiles([user.metafile, library.metafile], cwd, path.dirname(workflowsPath));
  const inputsDigest = digestInputs(inputs) ?? '';
  const id = sha256(code).slice(0, 32);
  const bundle: WorkflowBundle = { id, code, sourceMap, filename: `workflow-bundle-${id.slice(0, 12)}.js`, inputs };
  await cache.set(cacheKey, bundle, inputsDigest);
  return bundle;
}

/** Real files only: virtual modules carry a namespace prefix, the entries are in memory. */
function inputFiles(metafiles: readonly (Metafile | undefined)[], cwd: string, entryDir: string): string[] {
  const entries = new Set([USER_ENTRY_NAME, LIBRARY_ENTRY_NAME].map((name) => path.join(entryDir, name)));
  const all = metafiles.flatMap((m) => Object.keys(m?.inputs ?? {}));
  return [...new Set(all)]
    .filter((input) => !/^[a-z-]{2,}:/i.test(input))
    .map((input) => path.resolve(cwd, input))
    .filter((input) => !entries.has(input));
}
