/**
 * The sandbox thread decodes activations and encodes completions, nothing else, yet
 * `@temporalio/proto` builds the reflection of all ~1,060 message types of the Temporal API when it
 * loads (~0.1 s of every thread's start). The thread entry's build swaps in a root of only the
 * types those two messages reach (~90), taken from the same package, so the codecs are the same.
 */
import { createRequire } from 'node:module';
import type { Plugin } from 'esbuild';
import { reachableDescriptor, type Descriptor } from '../core/connection/proto-reach.js';
import { protoRoot } from '../core/connection/proto-runtime.js';

const ROOTS = ['coresdk.workflow_activation.WorkflowActivation', 'coresdk.workflow_completion.WorkflowActivationCompletion'];

/**
 * The descriptor tree of the roots and every type and enum their fields reach, taken from the
 * main thread's subset, which holds them with the package's own descriptors (so building the
 * thread entry never loads the full package on the main thread).
 */
export function protoSubset(): Descriptor {
  return reachableDescriptor(protoRoot, ROOTS);
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
