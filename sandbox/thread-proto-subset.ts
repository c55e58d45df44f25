/**
 * The sandbox thread decodes activations and encodes completions, nothing else, yet
 * `@temporalio/proto` builds the reflection of all ~1,060 message types of the Temporal API when it
 * loads (~0.1 s of every thread's start). The thread entry's build swaps in a root of only the
 * types those two messages reach (~90), taken from the same package, so the codecs are the same.
 */
import { createRequire } from 'node:module';
import type { Plugin } from 'esbuild';
import proto from '@temporalio/proto';

/** What protobufjs' `toJSON` gives and `addJSON` takes; a namespace or type descriptor. */
type Descriptor = { nested?: Record<string, Descriptor> } & Record<string, unknown>;

/** The part of protobufjs' reflection objects used here (the package's types are generated ones). */
interface Reflected {
  readonly name: string;
  readonly parent: Reflected | null;
  readonly fieldsArray?: ReadonlyArray<{ resolve(): { resolvedType: Reflected | null } }>;
  readonly nestedArray?: readonly Reflected[];
  toJSON(): Descriptor;
}

const ROOTS = ['coresdk.workflow_activation.WorkflowActivation', 'coresdk.workflow_completion.WorkflowActivationCompletion'];

const isType = (r: Reflected | null): boolean => r?.fieldsArray !== undefined;

/** The descriptor tree of the roots and every type and enum their fields reach. */
export function protoSubset(): Descriptor {
  // Reflection objects are not in the generated types; the root is a protobufjs Root at run time.
  const root = proto as unknown as { lookup(path: string): Reflected | null };
  const kept = new Set<Reflected>();
  const visit = (t: Reflected | null): void => {
    if (t === null || kept.has(t)) return;
    kept.add(t);
    // A nested type comes with its parent type, whose descriptor holds it.
    if (isType(t.parent)) visit(t.parent);
    for (const field of t.fieldsArray ?? []) visit(field.resolve().resolvedType);
    for (const nested of t.nestedArray ?? []) if (isType(nested)) visit(nested);
  };
  for (const name of ROOTS) visit(root.lookup(name));
  const tree: Descriptor = {};
  for (const t of kept) {
    if (isType(t.parent)) continue; // inside its parent's descriptor
    const path: string[] = [];
    for (let p = t.parent; p !== null && p.parent !== null; p = p.parent) path.unshift(p.name);
    let node = tree;
    for (const name of path) node = ((node.nested ??= {})[name] ??= {});
    (node.nested ??= {})[t.name] = t.toJSON();
  }
  return tree;
}

/** The module file the subset replaces; its bytes go into the thread entry's cache key. */
export function protoJsonModuleFile(): string {
  return createRequire(import.meta.url).resolve('@temporalio/proto/protos/json-module.js');
}

/** esbuild plugin: `@temporalio/proto`'s JSON module becomes one of the {@link protoSubset} only. */
export function protoSubsetPlugin(): Plugin {
  return {
    name: 'tempo-thread-proto-subset',
    setup(b) {
      b.onLoad({ filter: /[\\/]@temporalio[\\/]proto[\\/]protos[\\/]json-module\.js$/ }, () => ({
        loader: 'js',
        contents: [
          '"use strict";',
          'var $protobuf = require("protobufjs/light");',
          // The same registry key as the full module, so anything looking the root up finds it.
          'var $root = ($protobuf.roots["__temporal"] || ($protobuf.roots["__temporal"] = new $protobuf.Root()))',
          `.addJSON(${JSON.stringify(protoSubset().nested ?? {})});`,
          'module.exports = $root;',
        ].join('\n'),
      }));
    },
  };
}
