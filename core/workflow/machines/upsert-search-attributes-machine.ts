import type proto from '@temporalio/proto';
import { CoreFlag, type InternalFlags } from '../internal-flags.js';
import { CHANGE_VERSION_SEARCH_ATTRIBUTE } from '../patch-marker.js';
import { CommandType, type ICommand, type IPayload } from '../proto-types.js';
import { RecordOnlyMachine } from './command-machine.js';

/**
 * One `upsertSearchAttributes()` (typed or legacy; the workflow library encodes both alike):
 * an UpsertWorkflowSearchAttributes command recorded once, never resolved. The workflow library
 * updates `workflowInfo()` itself; the run keeps its own view for continue-as-new.
 */
export class UpsertSearchAttributesMachine extends RecordOnlyMachine {
  readonly label = 'search attribute upsert';
}

/**
 * The UpsertWorkflowSearchAttributes command for the code's upsert, noting it in the run's view.
 * `TemporalChangeVersion` belongs to patching: with core flag 2 the runtime upserts it itself, so
 * the code's upsert is sent empty (still sent, so old histories keep matching), as the official core does.
 */
export function upsertSearchAttributesCommand(
  a: proto.coresdk.workflow_commands.IUpsertWorkflowSearchAttributes,
  ctx: { flags: InternalFlags; replaying: boolean; upsertedSearchAttributes: Record<string, IPayload> },
): ICommand {
  const fields = a.searchAttributes?.indexedFields ?? {};
  Object.assign(ctx.upsertedSearchAttributes, fields);
  const patchOwned = ctx.flags.tryUse(CoreFlag.UpsertSearchAttributeOnPatch, !ctx.replaying) && CHANGE_VERSION_SEARCH_ATTRIBUTE in fields;
  return {
    commandType: CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    upsertWorkflowSearchAttributesCommandAttributes: { searchAttributes: patchOwned ? {} : { indexedFields: fields } },
  };
}
