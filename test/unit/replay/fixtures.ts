/** Paths and loaders shared by the replay unit tests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');

/** The workflows the recorded histories were produced from (on the official worker). */
export const sourceWorkflowsPath = path.join(fixtures, 'histories/source/workflows.ts');
/** The same workflow names, changed incompatibly. */
export const modifiedWorkflowsPath = path.join(fixtures, 'replay/modified-workflows.ts');

export function recordedHistoryFile(name: string): string {
  return path.join(fixtures, 'histories', `${name}.json`);
}

/** Real `temporal workflow show --output json` output (CLI 1.9.1), from the official worker's runs. */
export function cliHistoryFile(name: 'hello-activity' | 'timers'): string {
  return path.join(fixtures, 'replay', `${name}.cli.json`);
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/**
 * Rewrites proto3 JSON into the older tctl style: enum values in PascalCase without their prefix
 * (`EVENT_TYPE_WORKFLOW_EXECUTION_STARTED` → `WorkflowExecutionStarted`, `TASK_QUEUE_KIND_NORMAL` → `Normal`).
 */
export function toTctlStyle(proto3Json: string): string {
  const pascal = (snake: string): string =>
    snake
      .toLowerCase()
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('');
  return proto3Json.replace(
    /"(EVENT_TYPE|TASK_QUEUE_KIND|RETRY_STATE|TIMEOUT_TYPE|CONTINUE_AS_NEW_INITIATOR)_([A-Z_]+)"/g,
    (_m, _prefix: string, rest: string) => `"${pascal(rest)}"`,
  );
}
