/**
 * Promise stack tracking for the `__stack_trace` and `__enhanced_stack_trace` queries.
 *
 * The workflow library answers those queries from its activator's `promiseStackStore`: for each
 * pending promise, where it was created, and which promise it was created from. Filling that
 * store is the host's job (the official worker does it with V8 promise hooks); so is mapping
 * the bundle's positions back to the user's files. Here a promise hook records the call sites of
 * every promise created by workflow code, and turns them into text and locations only when a
 * query reads them: a workflow pays one stack capture per promise, never a source-map lookup.
 *
 * The official worker's rules are kept: frames above the promise's creation are dropped, the
 * stack ends at the library's inbound `...NextHandler` (or where the host called in), the
 * internal promises of `Promise.all`/`race`/`allSettled`/`any` are linked to the aggregate, and
 * a location is named after the original identifier at that position when the map has one
 * (call-sites.ts).
 */
import v8 from 'node:v8';
import type { StackTraceFileLocation } from '@temporalio/workflow';
import type { PromiseStackStore, Stack } from '@temporalio/workflow/lib/internals.js';
import type { BundleSourceMap } from './bundle-source-map.js';
import { callsiteName, describeSite } from './call-sites.js';

/** Where a promise's stack goes: the run that created it. */
export interface StackOwner {
  readonly store: PromiseStackStore;
  /** The script the run's code is compiled under; frames elsewhere are host code. */
  readonly bundleFilename: string;
  readonly sourceMap: BundleSourceMap | undefined;
}

type OwnerOf = (promise: Promise<unknown>) => StackOwner | undefined;

/** Frames kept per promise: V8's default, which the official worker gets too. */
const STACK_LIMIT = 10;
const AGGREGATORS = /^(race|all|allSettled|any)$/;
const NEXT_HANDLER = /^Activator\.\S+NextHandler$/;
const NEXT_HANDLER_SUFFIX = 'NextHandler';
const INTERCEPTORS_FILE = /[\\/]common[\\/](src|lib)[\\/]interceptors\.[jt]s$/;

/** The call sites of the current stack below `below`, as V8 gives them. */
function callSites(below: (...args: never[]) => unknown): NodeJS.CallSite[] {
  const { prepareStackTrace, stackTraceLimit } = Error;
  Error.prepareStackTrace = (_err, sites) => sites;
  Error.stackTraceLimit = STACK_LIMIT;
  try {
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, below);
    return holder.stack ?? [];
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * Whether V8 names `site` as one of the library's inbound `Activator.…NextHandler`s. The name
 * ends with the method's or the function's name (see callsiteName), so the full name, which
 * costs three more calls and a string, is only built for a frame whose own name could match:
 * this runs for every frame of every workflow promise.
 */
function isNextHandler(site: NodeJS.CallSite): boolean {
  if (!site.getFunctionName()?.endsWith(NEXT_HANDLER_SUFFIX) && !site.getMethodName()?.endsWith(NEXT_HANDLER_SUFFIX)) return false;
  return NEXT_HANDLER.test(callsiteName(site) ?? '');
}

/** Call sites of workflow code only: Node's hook plumbing above, the host's frames below, cut off. */
function workflowFrames(sites: NodeJS.CallSite[], bundleFilename: string): NodeJS.CallSite[] {
  let start = 0;
  while (start < sites.length && sites[start]!.getFileName()?.startsWith('node:')) start++;
  const frames: NodeJS.CallSite[] = [];
  for (let i = start; i < sites.length; i++) {
    const site = sites[i]!;
    const file = site.getFileName() ?? undefined;
    // Native frames (`Promise.then`) have no file; any other file is the host calling in.
    if (file !== undefined && file !== bundleFilename) break;
    if (isNextHandler(site)) break;
    frames.push(site);
  }
  return frames;
}

/** A promise's stack, formatted on first read (by a query). */
class LazyStack implements Stack {
  #sites: NodeJS.CallSite[] | undefined;
  #owner: StackOwner;
  #formatted?: string;
  #structured?: StackTraceFileLocation[];

  constructor(sites: NodeJS.CallSite[], owner: StackOwner) {
    this.#sites = sites;
    this.#owner = owner;
  }

  get formatted(): string {
    this.#format();
    return this.#formatted!;
  }

  get structured(): StackTraceFileLocation[] {
    this.#format();
    return this.#structured!;
  }

  #format(): void {
    const sites = this.#sites;
    if (sites === undefined) return;
    this.#sites = undefined; // let the call sites (and what they reference) go
    const { bundleFilename, sourceMap } = this.#owner;
    const frames = sites
      .map((site) => describeSite(site, (file) => (file === bundleFilename ? sourceMap : undefined)))
      // Interceptor chaining frames of the library say nothing about the workflow.
      .filter(({ location }, i) => !(INTERCEPTORS_FILE.test(location.file_path ?? '') && sites[i]!.getFunctionName() === 'next'));
    this.#formatted = frames.map((f) => f.text).join('\n');
    this.#structured = frames.map((f) => f.location);
  }
}

/** The function name of a native frame (`Promise.then` has no file), undefined for any other frame. */
function nativeName(site: NodeJS.CallSite | undefined): string | undefined {
  return site !== undefined && site.getFileName() == null ? (site.getFunctionName() ?? '') : undefined;
}

function isNative(site: NodeJS.CallSite | undefined, name: RegExp): boolean {
  const native = nativeName(site);
  return native !== undefined && name.test(native);
}

/**
 * Installs the thread's promise hook (once per thread). `ownerOf` names the run a promise belongs
 * to, or undefined for host promises and for code that runs outside any run's activation.
 */
export function trackPromiseStacks(ownerOf: OwnerOf): void {
  // The aggregate whose internal `.then` promises are being created right now.
  let aggregation: Promise<unknown> | undefined;
  const init = (promise: Promise<unknown>, parent: Promise<unknown> | undefined): void => {
    try {
      const owner = ownerOf(promise);
      if (owner === undefined) return;
      const sites = workflowFrames(callSites(init), owner.bundleFilename);
      const { promiseToStack, childToParent } = owner.store;
      let tracked = promise;
      let stack: Stack = new LazyStack(sites, owner);
      const first = nativeName(sites[0]);
      if (aggregation !== undefined && first === 'then' && isNative(sites[1], AGGREGATORS)) {
        // An internal promise of Promise.all & co.: stands for the aggregate itself.
        tracked = aggregation;
        stack = promiseToStack.get(aggregation) ?? stack;
      } else {
        aggregation = first !== undefined && AGGREGATORS.test(first) ? promise : undefined;
      }
      if (tracked === parent) return;
      promiseToStack.set(tracked, stack);
      const parents = childToParent.get(tracked) ?? new Set();
      if (parent !== undefined) parents.add(parent);
      childToParent.set(tracked, parents);
    } catch {
      // Stack traces are diagnostics: they must never break workflow code.
    }
  };
  const settled = (promise: Promise<unknown>): void => {
    try {
      const store = ownerOf(promise)?.store;
      store?.childToParent.delete(promise);
      store?.promiseToStack.delete(promise);
    } catch {
      // as above
    }
  };
  v8.promiseHooks.createHook({ init, settled });
}
