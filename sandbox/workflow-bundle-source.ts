/**
 * Where a worker's workflow bundle comes from: built here from `workflowsPath` (with the
 * official `bundlerOptions` and the data converter's paths), or given ready-made as the official
 * `workflowBundle` option: a bundle of ours, or one made by the official `bundleWorkflowCode`.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { adaptOfficialBundle, isOfficialBundle } from './official-bundle.js';
import { bundleWorkflowCode, type WorkflowBundle } from './bundler.js';
import { sha256 } from './bundle-cache.js';
import { USER_MODULES_MARKER } from './bundle-parts.js';
import { WorkflowBundleError } from './errors.js';
import { applyWebpackConfigHook, NO_ADJUSTMENTS, type WebpackConfigHook } from './webpack-config-hook.js';

/** The official `WorkerOptions.bundlerOptions`, as far as they mean something to esbuild. */
export interface BundlerOptions {
  /**
   * Modules workflow code imports but never uses at run time: each becomes a stub that throws
   * when one of its exports is called (a Node built-in or `@temporalio/client`, say).
   * @default []
   */
  readonly ignoreModules?: readonly string[];
  /**
   * The official webpack hook, called with a webpack-shaped description of this bundler's
   * configuration. `externals` (module → global variable) and added `resolve.alias` entries are
   * translated to esbuild; any other change is refused with WORKFLOW_BUNDLE_HOOK_UNSUPPORTED
   * (see webpack-config-hook.ts).
   */
  readonly webpackConfigHook?: WebpackConfigHook;
}

/** The official `WorkerOptions.workflowBundle`: the code itself, or the file it was written to. */
export type WorkflowBundleOption = { readonly code: string; readonly sourceMap?: string } | { readonly codePath: string; readonly sourceMapPath?: string };

export const bundlerOptionsSchema = z
  .object({
    ignoreModules: z.array(z.string().min(1)).optional(),
    webpackConfigHook: z.custom<WebpackConfigHook>((v) => typeof v === 'function', 'must be a function').optional(),
  })
  .strict();

export const workflowBundleOptionSchema = z.union([
  z.object({ code: z.string().min(1), sourceMap: z.string().optional() }).strict(),
  z.object({ codePath: z.string().min(1), sourceMapPath: z.string().min(1).optional() }).strict(),
]);

/** What a worker (or the replayer) says about its workflow code. */
export interface WorkflowSourceOptions {
  readonly workflowsPath?: string;
  readonly workflowBundle?: WorkflowBundleOption;
  readonly workflowInterceptorModules?: readonly string[];
  readonly bundlerOptions?: BundlerOptions;
  readonly dataConverter?: { readonly payloadConverterPath?: string; readonly failureConverterPath?: string };
}

/**
 * The bundle to register with the sandbox. A prebuilt bundle already holds its interceptors and
 * converters: the options that would go into a build are not applied to it.
 * @throws {WorkflowBundleError} `WORKFLOW_BUNDLE_FAILED` for a build error or code that is no workflow bundle
 * @throws {ForbiddenImportError} `WORKFLOW_BUNDLE_FORBIDDEN_IMPORT`
 */
export async function workflowBundleFrom(options: WorkflowSourceOptions): Promise<WorkflowBundle> {
  if (options.workflowBundle) return prebuiltBundle(options.workflowBundle);
  if (!options.workflowsPath) throw new WorkflowBundleError('No workflow code: give workflowsPath or workflowBundle');
  const { payloadConverterPath, failureConverterPath } = options.dataConverter ?? {};
  const { ignoreModules, webpackConfigHook } = options.bundlerOptions ?? {};
  const hook = webpackConfigHook
    ? applyWebpackConfigHook(webpackConfigHook, { workflowsPath: options.workflowsPath, ignoreModules: ignoreModules ?? [], payloadConverterPath, failureConverterPath })
    : NO_ADJUSTMENTS;
  // Only keys that are set: the bundler spreads options over its defaults.
  return bundleWorkflowCode({
    workflowsPath: options.workflowsPath,
    ...(options.workflowInterceptorModules && { workflowInterceptorModules: options.workflowInterceptorModules }),
    ...(ignoreModules && { ignoreModules }),
    ...(payloadConverterPath && { payloadConverterPath }),
    ...(failureConverterPath && { failureConverterPath }),
    externals: hook.externals,
    aliases: hook.aliases,
    checkDisallowed: hook.checkDisallowed,
  });
}

/** A bundle from its code: ours as it is, the official one adapted to our sandbox. */
export async function prebuiltBundle(option: WorkflowBundleOption): Promise<WorkflowBundle> {
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new WorkflowBundleError(`workflowBundle.${what}: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
  const raw = 'code' in option ? option.code : await read(option.codePath, 'codePath');
  const sourceMap = 'code' in option ? option.sourceMap : option.sourceMapPath && (await read(option.sourceMapPath, 'sourceMapPath'));
  let code: string;
  if (raw.includes(USER_MODULES_MARKER)) code = raw;
  else if (isOfficialBundle(raw)) code = adaptOfficialBundle(raw);
  else throw new WorkflowBundleError('workflowBundle: the code is not a workflow bundle (neither ours nor one made by the official bundleWorkflowCode)');
  const id = sha256(code).slice(0, 32);
  // The official bundle's map is inline (its `sourceMap` field says "deprecated"); ours is JSON.
  const map = sourceMap?.trimStart().startsWith('{') ? sourceMap : undefined;
  return { id, code, ...(map && { sourceMap: map }), filename: `workflow-bundle-${id.slice(0, 12)}.js`, inputs: [] };
}
