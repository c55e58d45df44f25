/**
 * Repairs Node's async-context stack after a vm timeout.
 *
 * Once any `AsyncLocalStorage` has been used in the thread (the workflow library uses several),
 * Node tracks promise jobs with promise hooks: each job pushes an async context and pops it when
 * it ends. A vm `timeout` terminates execution in the middle of such a job, so the pop never
 * happens; when the current task's callback scope closes, Node finds the stack dirty and aborts
 * the whole process (`Assertion failed: (env_->execution_async_id()) == (0)`). Measured on Node
 * 20: a deadlock inside a microtask, after any run handled a signal, killed the process.
 *
 * There is no public API to pop a context, so this uses the `async_wrap` binding, the same
 * native calls Node's own `AsyncResource` makes.
 */
import { executionAsyncId } from 'node:async_hooks';

interface AsyncWrapBinding {
  popAsyncContext(asyncId: number): boolean;
}

function loadBinding(): AsyncWrapBinding | undefined {
  const proc = process as NodeJS.Process & { binding?: (name: string) => unknown };
  const quiet = process.noDeprecation;
  // process.binding() warns (DEP0111) synchronously; nothing for the user to act on here.
  process.noDeprecation = true;
  try {
    return proc.binding?.('async_wrap') as AsyncWrapBinding | undefined;
  } catch {
    return undefined;
  } finally {
    process.noDeprecation = quiet;
  }
}

const binding = loadBinding();

/** Pops async contexts pushed after `asyncId` was current; call right after a vm timeout. */
export function unwindAsyncContext(asyncId: number): void {
  if (binding === undefined) return;
  // Bounded: the stack only holds as many entries as there were nested jobs.
  for (let guard = 0; guard < 10_000 && executionAsyncId() !== asyncId; guard++) {
    if (!binding.popAsyncContext(executionAsyncId())) return;
  }
}
