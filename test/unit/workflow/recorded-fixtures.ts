/** Loads the histories recorded from the official worker (test/fixtures/histories/*.json). */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/histories');
const Activation = proto.coresdk.workflow_activation.WorkflowActivation;

export interface RecordedStep {
  /** The activation as the official core produced it (protobuf JSON). */
  activation: Record<string, unknown>;
  completion: proto.coresdk.workflow_completion.IWorkflowActivationCompletion;
}

export interface RecordedRun {
  name: string;
  workflowId: string;
  runId: string;
  taskQueue: string;
  events: proto.temporal.api.history.v1.IHistoryEvent[];
  live: RecordedStep[];
  replay: RecordedStep[];
}

export function recordedRunNames(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

export function loadRecordedRun(name: string): RecordedRun {
  const raw = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as {
    workflowId: string;
    runId: string;
    taskQueue: string;
    history: Record<string, unknown>;
    live: Array<{ activation: Record<string, unknown>; completion: Record<string, unknown> }>;
    replay: Array<{ activation: Record<string, unknown>; completion: Record<string, unknown> }>;
  };
  const history = proto.temporal.api.history.v1.History.fromObject(raw.history);
  const step = (s: { activation: Record<string, unknown>; completion: Record<string, unknown> }): RecordedStep => ({
    activation: s.activation,
    completion: proto.coresdk.workflow_completion.WorkflowActivationCompletion.fromObject(s.completion),
  });
  return {
    name,
    workflowId: raw.workflowId,
    runId: raw.runId,
    taskQueue: raw.taskQueue,
    events: history.events,
    live: raw.live.map(step),
    replay: raw.replay.map(step),
  };
}

/** Wire-level view of an activation, without the worker-specific deployment version. */
export function normalizeActivation(a: proto.coresdk.workflow_activation.IWorkflowActivation | Record<string, unknown>): Record<string, unknown> {
  const msg = Activation.fromObject(a as Record<string, unknown>);
  const json = Activation.decode(Activation.encode(msg).finish()).toJSON();
  delete json['deploymentVersionForCurrentTask'];
  return json;
}
