import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { WorkflowSandbox } from '../../sandbox/workflow-sandbox.js';
import type { SandboxOptions } from '../../sandbox/options.js';

/** Workflows for sinks, logs, stack traces and activity context (test/fixtures/workflows/sandbox-api.ts). */
export const sandboxApiWorkflowsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/workflows/sandbox-api.ts');

/** One workflow sandbox for a test file, created before its tests and closed after them. Read it as `ctx.sandbox`. */
export function useSandbox(options: SandboxOptions = { threads: 1 }): { readonly sandbox: WorkflowSandbox } {
  const ctx = {} as { sandbox: WorkflowSandbox };
  beforeAll(async () => {
    ctx.sandbox = await WorkflowSandbox.create(options);
  });
  afterAll(async () => {
    await ctx.sandbox?.close();
  });
  return ctx;
}
