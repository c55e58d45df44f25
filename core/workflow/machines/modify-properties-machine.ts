import type proto from '@temporalio/proto';
import { CommandType, type ICommand } from '../proto-types.js';
import { RecordOnlyMachine } from './command-machine.js';

/**
 * One `upsertMemo()`: a ModifyWorkflowProperties command, recorded once as
 * WorkflowPropertiesModified, never resolved. The workflow library updates `workflowInfo().memo` itself.
 */
export class ModifyPropertiesMachine extends RecordOnlyMachine {
  readonly label = 'memo upsert';
}

export function modifyPropertiesCommand(a: proto.coresdk.workflow_commands.IModifyWorkflowProperties): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
    modifyWorkflowPropertiesCommandAttributes: { upsertedMemo: a.upsertedMemo },
  };
}
