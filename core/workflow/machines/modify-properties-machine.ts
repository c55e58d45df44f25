import { RecordOnlyMachine } from './command-machine.js';

/**
 * One `upsertMemo()`: a ModifyWorkflowProperties command, recorded once as
 * WorkflowPropertiesModified, never resolved. The workflow library updates `workflowInfo().memo` itself.
 */
export class ModifyPropertiesMachine extends RecordOnlyMachine {
  readonly label = 'memo upsert';
}
