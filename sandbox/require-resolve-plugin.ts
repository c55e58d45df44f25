/**
 * `require.resolve('./x')` in workflow code. webpack rewrites it at build time; esbuild leaves
 * it, and the sandbox has no resolver, so code such as a module-level
 * `payloadConverterPath: require.resolve('./converter')` (common in files that serve both the
 * worker and its workflows) would throw. This plugin replaces each call with a string literal
 * argument by the path esbuild resolves it to, as Node would return it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Loader, Plugin } from 'esbuild';

const CALL = /\brequire\.resolve\(\s*(['"])([^'"\n]+)\1\s*\)/g;
const LOADERS: Readonly<Record<string, Loader>> = { '.js': 'js', '.cjs': 'js', '.mjs': 'js', '.jsx': 'jsx', '.ts': 'ts', '.cts': 'ts', '.mts': 'ts', '.tsx': 'tsx' };

export function requireResolvePlugin(): Plugin {
  return {
    name: 'tempo-require-resolve',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        const loader = LOADERS[path.extname(args.path)];
        if (loader === undefined || args.namespace !== 'file') return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('require.resolve(')) return undefined; // esbuild loads it as usual
        const resolveDir = path.dirname(args.path);
        const targets = new Map<string, string>();
        for (const [, , specifier] of source.matchAll(CALL)) {
          if (targets.has(specifier!)) continue;
          const found = await build.resolve(specifier!, { resolveDir, kind: 'require-resolve', importer: args.path });
          targets.set(specifier!, found.errors.length === 0 && found.namespace === 'file' ? found.path : specifier!);
        }
        const contents = source.replace(CALL, (_, _q: string, specifier: string) => JSON.stringify(targets.get(specifier)));
        return { contents, loader, resolveDir };
      });
    },
  };
}
