import { z } from 'zod';
import { temporal } from '../connection/proto.js';

/** The official `VersioningBehavior` names (`@temporalio/common`). */
export type VersioningBehaviorName = 'PINNED' | 'AUTO_UPGRADE';

/** The official `WorkerDeploymentOptions` of `@temporalio/worker`. */
export interface WorkerDeploymentOptions {
  /** This worker's deployment version. */
  version: { deploymentName: string; buildId: string };
  /** Opt in to Worker Versioning: the server routes to this worker only the tasks of its version. */
  useWorkerVersioning: boolean;
  /** For workflows that declare no behaviour of their own; required with `useWorkerVersioning`, refused without. */
  defaultVersioningBehavior?: VersioningBehaviorName;
}

/** The versioning part of the entity options (official names). */
export interface VersioningOptions {
  /** Legacy build id; with `workerDeploymentOptions` the version's build id is used instead. */
  buildId?: string;
  /** Legacy build-id-based versioning (deprecated by the server). Needs `buildId`. @default false */
  useVersioning: boolean;
  workerDeploymentOptions?: WorkerDeploymentOptions;
}

const name = z.string().min(1).max(255);

export const workerDeploymentOptionsSchema = z
  .object({
    version: z.object({ deploymentName: name, buildId: name }).strict(),
    useWorkerVersioning: z.boolean(),
    defaultVersioningBehavior: z.enum(['PINNED', 'AUTO_UPGRADE']).optional(),
  })
  .strict()
  // As the official worker: the default behaviour is required exactly when versioning is on.
  .refine((o) => o.useWorkerVersioning === (o.defaultVersioningBehavior !== undefined), {
    message: 'defaultVersioningBehavior is required when useWorkerVersioning is true, and must be left unset otherwise',
    path: ['defaultVersioningBehavior'],
  });

/** Zod fields for the entity schema; the cross-field check is {@link checkVersioningInput}. */
export const versioningInputShape = {
  buildId: name.optional(),
  useVersioning: z.boolean().optional(),
  workerDeploymentOptions: workerDeploymentOptionsSchema.optional(),
};

/** The official worker's rule (`Must provide a buildId if useVersioning is true`), as a zod refinement message or undefined. */
export function checkVersioningInput(o: { buildId?: string; useVersioning?: boolean }): string | undefined {
  return o.useVersioning && !o.buildId ? 'buildId is required when useVersioning is true' : undefined;
}

const { VersioningBehavior, WorkerVersioningMode } = temporal.api.enums.v1;
const BEHAVIOR: Record<VersioningBehaviorName, temporal.api.enums.v1.VersioningBehavior> = {
  PINNED: VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
  AUTO_UPGRADE: VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE,
};

type PollFields = Pick<temporal.api.workflowservice.v1.IPollWorkflowTaskQueueRequest, 'binaryChecksum' | 'workerVersionCapabilities' | 'deploymentOptions'>;
type CompletionFields = Pick<temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest, 'binaryChecksum' | 'workerVersionStamp' | 'deploymentOptions' | 'versioningBehavior'>;

/**
 * The versioning fields of polls and workflow-task answers, built as sdk-core builds them: a
 * deployment-based worker names its deployment version (`deploymentOptions`, mode VERSIONED only
 * with `useWorkerVersioning`); on a server with build-id-based versioning every worker also states
 * its build id (`workerVersionCapabilities` / `workerVersionStamp`, `useVersioning` only for the
 * legacy strategy), and on one without it the build id goes as the old binary checksum.
 */
export class WorkerVersioning {
  private buildId: string;
  private readonly legacy: boolean;
  private readonly deployment: temporal.api.deployment.v1.IWorkerDeploymentOptions | undefined;
  private readonly defaultBehavior: temporal.api.enums.v1.VersioningBehavior;
  private readonly versioned: boolean;

  constructor(
    options: VersioningOptions,
    /** GetSystemInfo's `capabilities.buildIdBasedVersioning`. */
    private readonly serverHasBuildIds: boolean,
  ) {
    const d = options.workerDeploymentOptions;
    this.buildId = d ? d.version.buildId : (options.buildId ?? '');
    this.legacy = !d && options.useVersioning;
    this.deployment = d && {
      deploymentName: d.version.deploymentName,
      buildId: d.version.buildId,
      workerVersioningMode: d.useWorkerVersioning ? WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED : WorkerVersioningMode.WORKER_VERSIONING_MODE_UNVERSIONED,
    };
    this.versioned = d?.useWorkerVersioning === true;
    this.defaultBehavior = d?.useWorkerVersioning && d.defaultVersioningBehavior ? BEHAVIOR[d.defaultVersioningBehavior] : VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED;
  }

  /**
   * The official worker's default build id when none is configured (it names the code: package
   * and version, plus the bundle's hash when there are workflows). Call before the first poll.
   */
  useDefaultBuildId(buildId: string): void {
    if (!this.buildId) this.buildId = buildId;
  }

  /**
   * This worker's version as the workflow sees it in `workflowInfo().currentDeploymentVersion`
   * on a task it runs new: the deployment version, else the build id with an empty deployment
   * name (sdk-core's rule for legacy and unversioned workers).
   */
  currentVersion(): { deploymentName: string; buildId: string } | undefined {
    if (this.deployment) return { deploymentName: this.deployment.deploymentName ?? '', buildId: this.deployment.buildId ?? '' };
    return this.buildId ? { deploymentName: '', buildId: this.buildId } : undefined;
  }

  /**
   * Versioned polls must stay on a sticky queue of the entity's own: the server routes a run's
   * next task by the version its sticky poller states, which a queue shared by entities of
   * several versions cannot state.
   */
  get needsOwnStickyQueue(): boolean {
    return this.deployment !== undefined || this.legacy;
  }

  pollFields(): PollFields {
    return {
      binaryChecksum: this.serverHasBuildIds ? '' : this.buildId,
      workerVersionCapabilities: this.serverHasBuildIds ? { buildId: this.buildId, useVersioning: this.legacy } : undefined,
      deploymentOptions: this.deployment,
    };
  }

  /**
   * `workflowBehavior`: what the workflow declared (`setWorkflowOptions`), from its last
   * activation completion. Sent only by a VERSIONED worker: the server refuses a behaviour from
   * any other ("versioning behavior cannot be specified without deployment options being set
   * with versioned mode"). The official 1.24 worker sends it anyway, so there a PINNED workflow
   * on an unversioned worker never gets past its first task; here it runs unversioned.
   */
  completionFields(workflowBehavior: temporal.api.enums.v1.VersioningBehavior | null | undefined): CompletionFields {
    return {
      binaryChecksum: this.serverHasBuildIds ? '' : this.buildId,
      workerVersionStamp: this.serverHasBuildIds ? { buildId: this.buildId, useVersioning: this.legacy } : undefined,
      deploymentOptions: this.deployment,
      versioningBehavior: this.versioned ? workflowBehavior || this.defaultBehavior : VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED,
    };
  }
}
