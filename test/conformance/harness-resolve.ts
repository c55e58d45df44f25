/**
 * Preloaded (`--require`) into every feature process and, through the inherited `execArgv`, into
 * its worker threads: `require('@temporalio/harness')` from anywhere gives the compiled harness
 * named by `TEMPO_CONFORMANCE_HARNESS`.
 *
 * Why anywhere: the harness's own workflow interceptor module
 * (`harness/ts/workflow-globals-injection-interceptors.ts`) reaches out of the official worker's
 * vm to the workflow thread's main module and calls `mainModule.require('@temporalio/harness')`.
 * That module lives in `@temporalio/worker` (this repo's node_modules), where nothing resolves the
 * name; the suite's Go runner makes it resolve with `node -r tsconfig-paths/register`, which does
 * the same as this hook.
 *
 * In a `dropin` run, `TEMPO_CONFORMANCE_WORKER_MODULE` also replaces `@temporalio/worker` itself
 * (not its subpaths) with our drop-in facade (dropin-worker-module.ts), in the main thread only:
 * that is the worker file's import. In a sandbox thread the harness is loaded only for the
 * globals its interceptor module injects (`Feature` and the client and activity modules), inside
 * the first activation: there `@temporalio/worker` is a stand-in holding the one name the harness
 * reads at load (suite-build.ts writes it). The official package would load its native bridge and
 * webpack inside that activation, several seconds on a loaded 2-core machine, which the deadlock
 * timeout rightly stops (and a require stopped halfway leaves the harness half-initialised in the
 * thread's module cache). The official worker's threads have most of it loaded already. Likewise in processes a feature forks (the
 * `client/http_proxy*` features re-run their file in a child with NODE_OPTIONS inherited): only
 * the feature process itself, which names its pid in `TEMPO_CONFORMANCE_FEATURE_PID`, gets it.
 *
 * Compiled to CommonJS by suite-build.ts: worker threads load their `--require` before any
 * TypeScript loader is in place.
 */
import Module from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

interface ModuleStatics {
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
}

const harness = process.env.TEMPO_CONFORMANCE_HARNESS;
const dropin = process.env.TEMPO_CONFORMANCE_WORKER_MODULE;
const workerModule = isMainThread ? dropin : undefined;
// Written beside this hook once compiled (CommonJS, so `__dirname` is the build directory).
const threadStandIn = dropin && !isMainThread ? path.join(__dirname, 'thread-worker-stand-in.cjs') : undefined;
/** Read at each resolve: the feature process sets it after this hook was preloaded. */
const inFeatureProcess = () => process.env.TEMPO_CONFORMANCE_FEATURE_PID === String(process.pid);
if (harness) {
  // `_resolveFilename` is Node's (undocumented but stable) CommonJS resolution hook point; tsx and
  // tsconfig-paths patch it the same way.
  const statics = Module as unknown as ModuleStatics;
  const resolve = statics._resolveFilename.bind(statics);
  statics._resolveFilename = (request, parent, isMain, options) => {
    if (request === '@temporalio/harness') return harness;
    if (workerModule && request === '@temporalio/worker' && inFeatureProcess()) return workerModule;
    if (threadStandIn && request === '@temporalio/worker' && inFeatureProcess()) return threadStandIn;
    return resolve(request, parent, isMain, options);
  };
}
