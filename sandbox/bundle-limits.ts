/**
 * What a bundle build may read and how long it may take. esbuild reads files in its own process,
 * but the cache digests inputs on the main thread, and a FIFO or a device would block that read
 * forever (deaf to SIGTERM): only regular files (or a directory esbuild resolves to its index)
 * are bundled, and a build that does not finish in time is given up.
 */
import { stat } from 'node:fs/promises';
import { WorkflowBundleError } from './errors.js';

/** Throws WORKFLOW_BUNDLE_FAILED unless `file` is a regular file or a directory; `stat` never opens it. */
export async function assertBundlableEntry(file: string): Promise<void> {
  let st;
  try {
    st = await stat(file);
  } catch (cause) {
    throw new WorkflowBundleError(`Cannot bundle workflows at ${file}: ${(cause as Error).message}`, { cause });
  }
  if (st.isFile() || st.isDirectory()) return;
  const kind = st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
  throw new WorkflowBundleError(`Cannot bundle workflows at ${file}: it is ${kind}; workflowsPath must name a regular file or a directory with an index file.`);
}

/** `work`, or WORKFLOW_BUNDLE_FAILED after `timeoutMs`; esbuild cannot be stopped, but nothing waits on it any more. */
export async function withBundleTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WorkflowBundleError(`Bundling ${what} did not finish within ${timeoutMs} ms; is an input a FIFO or on a hung file system?`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
