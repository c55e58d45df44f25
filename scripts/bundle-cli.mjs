#!/usr/bin/env node
/**
 * Second step of `npm run build`: bundles the CLI (`dist/cli/main.js`, as tsc emitted it) into
 * one file in its place, so `tempo-worker start` loads one module instead of ~400 (our ~160 and
 * the CommonJS files of gRPC, zod, hono…): about 140 ms less on every start (bench/README.md).
 *
 * - Packages whose module state user code shares with the runtime stay external, imported from
 *   node_modules as before: the DI container (tsyringe, reflect-metadata), `@temporalio/*` (the
 *   activity Context's AsyncLocalStorage, the failure classes), nexus-rpc, prom-client; so do
 *   piscina (it starts its thread from its own files) and esbuild (native binary).
 * - Each of our modules keeps its own `import.meta.url` (rewritten to its file in `dist/`), so the
 *   files found next to a module (the sandbox thread entry, built-in plugins, the example
 *   workflows) are found as before, and `cli/replay.js` still knows it is not the entry.
 *
 *   node scripts/bundle-cli.mjs [distDir]      (default: dist)
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, transform } from 'esbuild';

const dist = path.resolve(process.argv[2] ?? 'dist');
const entry = path.join(dist, 'cli', 'main.js');
const external = ['@temporalio/*', '@grpc/grpc-js', 'tsyringe', 'reflect-metadata', 'nexus-rpc', 'prom-client', 'piscina', 'esbuild'];

/** `import.meta.url` of each of our modules, as it was before bundling. */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(dist + path.sep)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const rel = path.relative(path.dirname(entry), args.path).split(path.sep).join('/');
      // esbuild's define rewrites the expression only, never the same text inside a string.
      const { code } = await transform(source, { loader: 'js', define: { 'import.meta.url': '__tempoOwnUrl' } });
      const [, hashbang = '', body] = /^(#!.*\n)?([\s\S]*)$/.exec(code);
      return { contents: `${hashbang}const __tempoOwnUrl = new URL(${JSON.stringify(rel)}, import.meta.url).href;\n${body}`, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * Packages that stay external are CommonJS: loaded with `require` rather than `import`, so that
 * Node skips scanning each of them for its export names (~40 ms of a start). `require` and the
 * `import` of plain dist/ code share one module cache, so the instances stay the same.
 */
const externalAsRequire = {
  name: 'external-as-require',
  setup(b) {
    const isExternal = (spec) => external.some((e) => (e.endsWith('/*') ? spec.startsWith(e.slice(0, -1)) : spec === e || spec.startsWith(`${e}/`)));
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (!isExternal(args.path)) return undefined;
      return args.namespace === 'external-cjs' ? { path: args.path, external: true } : { path: args.path, namespace: 'external-cjs' };
    });
    b.onLoad({ filter: /.*/, namespace: 'external-cjs' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

const MARK = '// tempo-worker: bundled by scripts/bundle-cli.mjs';
if ((await readFile(entry, 'utf8')).includes(MARK)) {
  console.log(`${entry} is bundled already; run tsc first to rebuild it.`);
  process.exit(0);
}

const out = `${entry}.bundle.tmp`;
await build({
  entryPoints: [entry],
  outfile: out,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [ownImportMetaUrl, externalAsRequire],
  // CommonJS packages bundled in still require built-ins (and each other's optional parts).
  banner: { js: `${MARK}\nimport { createRequire as __tempoCreateRequire } from 'node:module'; const require = __tempoCreateRequire(import.meta.url);` },
});
const code = (await readFile(out, 'utf8')).replace(/\/\/# sourceMappingURL=\S+\s*$/, '//# sourceMappingURL=main.js.map\n');
await writeFile(out, code);
await rename(`${out}.map`, `${entry}.map`);
await rename(out, entry);
