/**
 * V8 call sites of workflow code, told in the user's terms: a frame in a workflow bundle is
 * mapped through the bundle's source map to the original file, line and column, as the official
 * worker tells them. Shared by the stack trace queries and workflow error stacks.
 */
import type { StackTraceFileLocation } from '@temporalio/workflow';
import type { BundleSourceMap } from './bundle-source-map.js';

/** Finds the source map of a script file name (the bundles a thread has loaded). */
export type SourceMapOf = (filename: string) => BundleSourceMap | undefined;

/** `Type.method`, `new Fn` or `fn`, as V8 names a frame. */
export function callsiteName(site: NodeJS.CallSite): string | undefined {
  const typeName = site.getTypeName();
  const methodName = site.getMethodName();
  const functionName = site.getFunctionName();
  if (typeName && methodName) return `${typeName}.${methodName}`;
  if (site.isConstructor() && functionName) return `new ${functionName}`;
  return functionName ?? undefined;
}

/** One frame: its `    at …` line and its location; original positions where the map has them. */
export function describeSite(site: NodeJS.CallSite, sourceMapOf: SourceMapOf): { text: string; location: StackTraceFileLocation } {
  const file = site.getFileName() ?? undefined;
  const line = site.getLineNumber() ?? undefined;
  const column = site.getColumnNumber() ?? undefined;
  const original = file !== undefined && line !== undefined && column !== undefined ? sourceMapOf(file)?.locate(line, column) : undefined;
  if (original === undefined) {
    return { text: `    at ${String(site)}`, location: { file_path: file, function_name: callsiteName(site), line, column, internal_code: false } };
  }
  // The official worker names a mapped frame after the identifier at that position, if any.
  const name = original.name ?? callsiteName(site);
  const where = `${original.file}:${original.line}:${original.column}`;
  return {
    text: name ? `    at ${name} (${where})` : `    at ${where}`,
    location: { file_path: original.file, function_name: name, line: original.line, column: original.column, internal_code: false },
  };
}

/**
 * Makes every error stack of the thread name the user's files for workflow frames, as the
 * official worker's `prepareStackTrace` does: workflow failures then carry the original file and
 * line in history. Frames outside workflow bundles keep V8's own format, so host errors read as
 * before.
 */
export function mapErrorStacks(sourceMapOf: SourceMapOf): void {
  Error.prepareStackTrace = (error: unknown, sites: NodeJS.CallSite[]) => {
    let header: string;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = 'Error';
    }
    return [header, ...sites.map((site) => describeSite(site, sourceMapOf).text)].join('\n');
  };
}
