/**
 * The esbuild side of a webpackConfigHook's `externals` and `resolve.alias` (see
 * webpack-config-hook.ts): runs before the guard, so a module mapped to a global or aliased is
 * not checked as the import it replaced, as in webpack, where externals and aliases apply first.
 */
import type { Plugin } from 'esbuild';
import { escapeRegExp, ignoredModule } from './bundle-guard.js';
import type { BundleAlias, ExternalGlobals } from './webpack-config-hook.js';

const NAMESPACE = 'tempo-external';
/** Marks the inner resolve of an alias target, so an alias whose target starts with its own name does not loop. */
const ALIASED = 'tempoAliased';

/**
 * The module a webpack `var` external makes: its global read when first required, a
 * ReferenceError naming it when it is not there, as in webpack's bundle.
 */
function externalSource(globalPath: readonly string[]): string {
  const [head, ...rest] = globalPath;
  return `module.exports = ${head}${rest.map((p) => `[${JSON.stringify(p)}]`).join('')};`;
}

/** The alias that applies to `specifier` and what it becomes, the most specific name first. */
function aliasFor(specifier: string, aliases: readonly BundleAlias[]): { alias: BundleAlias; replaced: string } | undefined {
  for (const alias of aliases) {
    if (specifier === alias.name) return { alias, replaced: alias.target || specifier };
    if (!alias.exact && specifier.startsWith(`${alias.name}/`)) return { alias, replaced: alias.target ? `${alias.target}${specifier.slice(alias.name.length)}` : specifier };
  }
  return undefined;
}

/** Undefined when there is nothing to do, so a bundle without a hook gets no extra plugin. */
export function bundleExternalsPlugin(externals: ExternalGlobals, aliases: readonly BundleAlias[]): Plugin | undefined {
  const names = [...Object.keys(externals), ...aliases.map((a) => a.name)];
  if (!names.length) return undefined;
  const byLength = [...aliases].sort((a, b) => b.name.length - a.name.length);
  const filter = new RegExp(`^(${names.map(escapeRegExp).join('|')})(/.*)?$`);
  return {
    name: 'tempo-webpack-externals',
    setup(build) {
      build.onResolve({ filter }, async (args) => {
        if ((args.pluginData as Record<string, unknown> | undefined)?.[ALIASED]) return undefined;
        // Object externals match the request exactly, as webpack's do.
        if (Object.hasOwn(externals, args.path)) return { path: args.path, namespace: NAMESPACE };
        const hit = aliasFor(args.path, byLength);
        if (!hit) return undefined;
        if (hit.alias.target === false) return ignoredModule(args.path);
        const result = await build.resolve(hit.replaced, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { [ALIASED]: true } });
        if (result.errors.length) return { errors: result.errors };
        return { path: result.path, namespace: result.namespace, external: result.external, sideEffects: result.sideEffects };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({ contents: externalSource(externals[args.path]!), loader: 'js' }));
    },
  };
}
