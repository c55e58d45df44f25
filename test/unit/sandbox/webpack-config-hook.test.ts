import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ForbiddenImportError } from '../../../sandbox/errors.js';
import { applyWebpackConfigHook, WebpackConfigHookError, type WebpackConfigHook, type WebpackConfiguration } from '../../../sandbox/webpack-config-hook.js';
import { workflowBundleFrom } from '../../../sandbox/workflow-bundle-source.js';

const fixtures = path.resolve('test/fixtures/workflows/webpack-hook');
const input = { workflowsPath: path.join(fixtures, 'workflows.ts'), ignoreModules: ['@grpc/grpc-js'] };

/** The feature suite's harness hook, as written in its harness.ts. */
const harnessHook: WebpackConfigHook = (config) => ({
  ...config,
  externals: { '@temporalio/harness': 'temporalioHarness', '@temporalio/client': 'temporalioClient', '@temporalio/activity': 'temporalioActivity' },
});

function refusal(hook: WebpackConfigHook): WebpackConfigHookError {
  try {
    applyWebpackConfigHook(hook, input);
  } catch (err) {
    expect(err).toBeInstanceOf(WebpackConfigHookError);
    expect(err).toMatchObject({ code: 'WORKFLOW_BUNDLE_HOOK_UNSUPPORTED' });
    return err as WebpackConfigHookError;
  }
  throw new Error('the hook was accepted');
}

describe('webpackConfigHook translation', () => {
  it('describes our configuration the way the official bundler shapes it', () => {
    let seen: WebpackConfiguration | undefined;
    const result = applyWebpackConfigHook((config) => (seen = config), { ...input, payloadConverterPath: 'conv.ts' });
    expect(result).toEqual({ externals: {}, aliases: [], checkDisallowed: true });
    const alias = (seen?.resolve as { alias: Record<string, unknown> }).alias;
    expect(alias).toMatchObject({ __temporal_custom_payload_converter$: path.resolve('conv.ts'), __temporal_custom_failure_converter$: false, '@grpc/grpc-js': false, fs: false, '@temporalio/client': false });
    expect(alias).not.toHaveProperty('assert');
    expect(typeof seen?.externals).toBe('function');
    expect(seen).toMatchObject({ plugins: [], module: { rules: [] }, output: { library: '__TEMPORAL__' } });
  });

  it("translates the feature suite's hook: modules to globals, and the disallowed-module check taken out", () => {
    expect(applyWebpackConfigHook(harnessHook, input)).toEqual({
      externals: { '@temporalio/harness': ['temporalioHarness'], '@temporalio/client': ['temporalioClient'], '@temporalio/activity': ['temporalioActivity'] },
      aliases: [],
      checkDisallowed: false,
    });
  });

  it('keeps the check when the hook keeps the function it was given beside its own externals', () => {
    const result = applyWebpackConfigHook((config) => ({ ...config, externals: [config.externals, { a: 'var A', b: ['B', 'inner'], c: 'global C' }] }), input);
    expect(result).toEqual({ externals: { a: ['A'], b: ['B', 'inner'], c: ['C'] }, aliases: [], checkDisallowed: true });
  });

  it('translates added aliases, in place or in a copy: exact (`name$`), with subpaths, and false', () => {
    const result = applyWebpackConfigHook((config) => {
      const alias = (config.resolve as { alias: Record<string, unknown> }).alias;
      Object.assign(alias, { lodash$: '/abs/lodash.js', 'my-lib': 'other-lib', noisy: false });
      return config;
    }, input);
    expect(result.aliases).toEqual([
      { name: 'lodash', exact: true, target: '/abs/lodash.js' },
      { name: 'my-lib', exact: false, target: 'other-lib' },
      { name: 'noisy', exact: false, target: false },
    ]);
    expect(result.checkDisallowed).toBe(true);
  });

  it('refuses every change esbuild cannot make with the same meaning, naming the field', () => {
    expect(refusal((c) => ({ ...c, plugins: [{ apply() {} }] })).message).toMatch(/changed plugins.*webpack plugins cannot run/);
    expect(refusal((c) => ({ ...c, module: { rules: [{ test: /\.txt$/ }] } })).message).toContain('changed module');
    expect(refusal((c) => ({ ...c, resolve: { ...(c.resolve as object), extensions: ['.mjs'] } })).message).toContain('changed resolve.extensions');
    expect(refusal((c) => ({ ...c, devtool: false })).message).toContain('changed devtool');
    expect(refusal((c) => ({ ...c, optimization: { minimize: true } })).message).toContain('changed optimization');
    expect(refusal((c) => ({ ...c, externals: ({ request }: { request: string }, cb: () => void) => (request ? cb() : undefined) })).message).toContain('an externals function cannot run inside esbuild');
    expect(refusal((c) => ({ ...c, externals: /^lodash/ })).message).toContain('a RegExp');
    expect(refusal((c) => ({ ...c, externals: { fs: 'commonjs fs' } })).message).toContain('changed externals["fs"]');
    expect(refusal((c) => ({ ...c, externals: { x: { root: 'X' } } })).message).toContain('externals["x"]');
    const alias = (c: WebpackConfiguration) => (c.resolve as { alias: Record<string, unknown> }).alias;
    expect(refusal((c) => (delete alias(c)['@grpc/grpc-js'], c)).message).toContain('changed resolve.alias["@grpc/grpc-js"]');
    expect(refusal((c) => ((alias(c).fs = '/my/fs.js'), c)).message).toContain('changed resolve.alias["fs"]');
    expect(refusal((c) => ((alias(c).x = './relative.js'), c)).message).toContain('give an absolute path');
    expect(refusal(() => undefined as unknown as WebpackConfiguration).message).toContain('the hook returned a undefined');
  });

  it('the message says what to do', () => {
    expect(refusal((c) => ({ ...c, plugins: [1] })).message).toContain('remove that change from the hook, or run this worker on @temporalio/worker');
  });
});

describe('webpackConfigHook in a bundle', () => {
  it('an import mapped to a global reads the global; disallowed imports become stubs once the check is out', async () => {
    const hook: WebpackConfigHook = (config) => ({ ...config, externals: { 'tempo-greeting': 'tempoGreeting' } });
    const bundle = await workflowBundleFrom({ workflowsPath: input.workflowsPath, bundlerOptions: { webpackConfigHook: hook } });
    expect(bundle.code).toMatch(/module\d*\.exports = tempoGreeting;/);
    expect(bundle.code).toContain("is in bundlerOptions.ignoreModules"); // the stub `os` became
  });

  it('with the check kept, a disallowed import is still refused', async () => {
    const hook: WebpackConfigHook = (config) => ({ ...config, externals: [config.externals, { 'tempo-greeting': 'tempoGreeting' }] });
    const err = await workflowBundleFrom({ workflowsPath: input.workflowsPath, bundlerOptions: { webpackConfigHook: hook } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenImportError);
    expect(err).toMatchObject({ imports: [{ module: 'os' }] });
  });

  it('an alias to an absolute path bundles that file instead', async () => {
    const hook: WebpackConfigHook = (config) => {
      const resolve = config.resolve as { alias: Record<string, unknown> };
      // `externals: {}` takes out the check, so `os` becomes a stub as its alias says.
      return { ...config, externals: {}, resolve: { ...resolve, alias: { ...resolve.alias, 'tempo-greeting$': path.join(fixtures, 'greeting-module.ts') } } };
    };
    const bundle = await workflowBundleFrom({ workflowsPath: input.workflowsPath, bundlerOptions: { webpackConfigHook: hook } });
    expect(bundle.inputs).toContain(path.join(fixtures, 'greeting-module.ts'));
    expect(bundle.code).not.toMatch(/module\d*\.exports = tempoGreeting;/);
  });

  it('a refused hook fails the bundle with its code', async () => {
    const hook: WebpackConfigHook = (config) => ({ ...config, plugins: [{}] });
    await expect(workflowBundleFrom({ workflowsPath: input.workflowsPath, bundlerOptions: { webpackConfigHook: hook } })).rejects.toMatchObject({ code: 'WORKFLOW_BUNDLE_HOOK_UNSUPPORTED' });
  });
});
