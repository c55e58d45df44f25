/**
 * SDK flags: history-altering behaviours recorded in each WorkflowTaskCompleted's `sdk_metadata`,
 * so a replay uses a behaviour only if the original execution did. Core flags are ours (the
 * command layer); lang flags belong to the workflow library and are passed through untouched.
 */
import type { IWorkflowTaskCompletedMetadata } from './proto-types.js';

/** Same numbers as the official core: histories carry them, so they can never change. */
export const CoreFlag = {
  /** Activity ids and types are compared against history on replay. */
  IdAndTypeDeterminismChecks: 1,
  /** Each patch marker is followed by an upsert of the TemporalChangeVersion search attribute. */
  UpsertSearchAttributeOnPatch: 2,
  /** Non-terminal commands issued after a terminal one are moved before it, not dropped. */
  MoveTerminalCommands: 3,
} as const;
export type CoreFlag = (typeof CoreFlag)[keyof typeof CoreFlag];

const ALL_CORE_FLAGS: readonly CoreFlag[] = Object.values(CoreFlag);

export class InternalFlags {
  private readonly core = new Set<number>();
  private readonly lang = new Set<number>();
  private readonly coreSinceLastComplete = new Set<number>();
  private readonly langSinceLastComplete = new Set<number>();
  private lastSdkName = '';
  private lastSdkVersion = '';

  /** `enabled` is false when the server cannot store sdk metadata: then no flag may ever be used. */
  constructor(
    private readonly enabled: boolean,
    private readonly sdkName: string,
    private readonly sdkVersion: string,
  ) {}

  /** Learns what a past workflow task recorded. */
  addFromCompleted(metadata: IWorkflowTaskCompletedMetadata | null | undefined): void {
    if (!this.enabled || !metadata) return;
    for (const f of metadata.coreUsedFlags ?? []) this.core.add(f);
    for (const f of metadata.langUsedFlags ?? []) this.lang.add(f);
    if (metadata.sdkName) this.lastSdkName = metadata.sdkName;
    if (metadata.sdkVersion) this.lastSdkVersion = metadata.sdkVersion;
  }

  addLangUsed(flags: Iterable<number>): void {
    if (!this.enabled) return;
    for (const f of flags) this.langSinceLastComplete.add(f);
  }

  /**
   * Whether a core behaviour applies. When `record` is true (new work, not replay) it always
   * applies and is written at the next completion; on replay only if history recorded it.
   */
  tryUse(flag: CoreFlag, record: boolean): boolean {
    if (!this.enabled) return false;
    if (record) {
      this.coreSinceLastComplete.add(flag);
      return true;
    }
    return this.core.has(flag);
  }

  /** Called when sending new commands: every behaviour we implement is in effect from now on. */
  recordAllCore(): void {
    if (!this.enabled) return;
    for (const f of ALL_CORE_FLAGS) this.coreSinceLastComplete.add(f);
  }

  /** Lang flags usable by the workflow library, in ascending order (all ever recorded). */
  langFlags(): number[] {
    return [...this.lang].sort((a, b) => a - b);
  }

  lastSeenSdkVersion(): string {
    return this.lastSdkVersion;
  }

  /** The metadata for the WorkflowTaskCompleted we are about to send: only what is new. */
  takeMetadataForCompletion(): IWorkflowTaskCompletedMetadata {
    if (!this.enabled) return {};
    const coreUsedFlags = [...this.coreSinceLastComplete].filter((f) => !this.core.has(f));
    const langUsedFlags = [...this.langSinceLastComplete].filter((f) => !this.lang.has(f));
    for (const f of this.coreSinceLastComplete) this.core.add(f);
    for (const f of this.langSinceLastComplete) this.lang.add(f);
    this.coreSinceLastComplete.clear();
    this.langSinceLastComplete.clear();
    const metadata: IWorkflowTaskCompletedMetadata = { coreUsedFlags, langUsedFlags };
    if (this.lastSdkName !== this.sdkName) metadata.sdkName = this.sdkName;
    if (this.lastSdkVersion !== this.sdkVersion) metadata.sdkVersion = this.sdkVersion;
    this.lastSdkName = this.sdkName;
    this.lastSdkVersion = this.sdkVersion;
    return metadata;
  }
}
