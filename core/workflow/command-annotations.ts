/**
 * What a lang command carries besides its attributes (user metadata: summary and details; event
 * group markers), and how it reaches the API command, as the official core carries it.
 */
import type { ICommand, IWorkflowCommand } from './proto-types.js';

/** The user metadata and event-group markers a lang command carries onto its API command. */
export interface CommandAnnotations {
  userMetadata?: IWorkflowCommand['userMetadata'];
  eventGroupMarkers?: IWorkflowCommand['eventGroupMarkers'];
}

export function annotationsOf(command: IWorkflowCommand | undefined): CommandAnnotations {
  return { userMetadata: command?.userMetadata, eventGroupMarkers: command?.eventGroupMarkers };
}

/**
 * The cancel of a child inherits the child's annotations, overridden field by field by what the
 * cancel command set, as the official core does: the cancel lands in the child's event group.
 */
export function mergeAnnotations(base: CommandAnnotations, override: CommandAnnotations): CommandAnnotations {
  const summary = override.userMetadata?.summary ?? base.userMetadata?.summary;
  const details = override.userMetadata?.details ?? base.userMetadata?.details;
  const markers = override.eventGroupMarkers?.length ? override.eventGroupMarkers : base.eventGroupMarkers;
  return {
    userMetadata: summary || details ? { summary, details } : undefined,
    eventGroupMarkers: markers?.length ? markers : undefined,
  };
}

export function withAnnotations(command: ICommand, annotations: CommandAnnotations): ICommand {
  const out: ICommand = { ...command };
  if (annotations.userMetadata) out.userMetadata = annotations.userMetadata;
  if (annotations.eventGroupMarkers?.length) out.eventGroupMarkers = annotations.eventGroupMarkers;
  return out;
}
