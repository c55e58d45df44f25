/**
 * Payload codecs on the workflow path. Codecs (encryption, compression) run on the main side,
 * never in the sandbox: they may do I/O or hold keys, and the sandbox must stay deterministic.
 * Every payload of an activation is decoded before it enters the sandbox, and every payload of
 * a completion is encoded before the state machines turn it into commands, queries' answers or
 * protocol messages; so what reaches the server carries the codec's encoding, as on the official
 * worker. Headers and search attributes are left alone, as the official worker does.
 */
import type { PayloadCodec, SerializationContext } from '@temporalio/common';
import { limit, type ConcurrencyLimit } from '@temporalio/common/lib/concurrency/limit.js';
// The package's files, not its index, which loads the whole of @temporalio/proto (external storage).
import { decode, encode } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import { visit, walkWorkflowActivation, walkWorkflowActivationCompletion, type WalkEnv } from '@temporalio/common/lib/internal-non-workflow/payload-visitor.js';
import { coresdk } from '../connection/proto.js';

type IActivation = coresdk.workflow_activation.IWorkflowActivation;
type ICompletion = coresdk.workflow_completion.IWorkflowActivationCompletion;
type ICommand = coresdk.workflow_commands.IWorkflowCommand;

/**
 * The run a message belongs to: gives the codecs their serialization context, and (by identity)
 * keys the run's pending contexts, so pass the same object for every message of a run.
 */
export interface CodecRun {
  readonly namespace: string;
  readonly workflowId: string;
}

/** Codec calls in flight at once per message, as the official worker bounds them. */
const MAX_CONCURRENT_CODEC_CALLS = 20;

/** Commands whose later resolution job carries payloads coded in the command's own context. */
const RESOLUTIONS: Readonly<Record<string, string>> = {
  'coresdk.workflow_activation.ResolveActivity': 'activity',
  'coresdk.workflow_activation.ResolveChildWorkflowExecution': 'child',
  'coresdk.workflow_activation.ResolveChildWorkflowExecutionStart': 'childStart',
  'coresdk.workflow_activation.ResolveSignalExternalWorkflow': 'signal',
  'coresdk.workflow_activation.ResolveRequestCancelExternalWorkflow': 'cancel',
};

/**
 * The codecs of one worker, applied to whole messages. Keeps, per run, the serialization
 * context of each command awaiting its resolution (an activity's result is decoded in the
 * activity's context), held weakly by the run's {@link CodecRun} object so that it goes when the run goes.
 */
export class WorkflowPayloadCodec {
  readonly #codecs: PayloadCodec[];
  readonly #limit: ConcurrencyLimit = limit(MAX_CONCURRENT_CODEC_CALLS);
  readonly #pending = new WeakMap<object, Map<string, SerializationContext>>();

  private constructor(codecs: readonly PayloadCodec[]) {
    this.#codecs = [...codecs];
  }

  /** Undefined without codecs: the workflow path then skips the walk altogether. */
  static of(codecs: readonly PayloadCodec[] | undefined): WorkflowPayloadCodec | undefined {
    return codecs?.length ? new WorkflowPayloadCodec(codecs) : undefined;
  }

  /** A decoded copy of `activation` (the original may share objects with the run's history). */
  async decodeActivation(activation: IActivation, run: CodecRun): Promise<IActivation> {
    const copy = coresdk.workflow_activation.WorkflowActivation.fromObject(activation);
    const pending = this.#contexts(run);
    await this.transform(copy, walkWorkflowActivation, 'decode', workflowContext(run), (message, typeName, context) => {
      const kind = RESOLUTIONS[typeName];
      if (kind === undefined) return context;
      const id = `${kind}:${String((message as { seq?: number }).seq)}`;
      const own = pending.get(id);
      pending.delete(id);
      return own ?? context;
    });
    return copy;
  }

  /** Encodes `completion` in place. */
  async encodeCompletion(completion: ICompletion, run: CodecRun): Promise<void> {
    const base = workflowContext(run);
    const pending = this.#contexts(run);
    await this.transform(completion, walkWorkflowActivationCompletion, 'encode', base, (message, typeName, context) => {
      if (typeName !== 'coresdk.workflow_commands.WorkflowCommand') return context;
      const [kind, seq, own] = commandContext(message as ICommand, run) ?? [];
      if (kind === undefined || own === undefined) return context;
      pending.set(`${kind}:${String(seq)}`, own);
      // A child's start and its completion resolve separately, in the same context.
      if (kind === 'child') pending.set(`childStart:${String(seq)}`, own);
      return own;
    });
  }

  /**
   * The one step every payload-bearing message goes through (activations, completions, and any
   * other message a later path hands over, with the generated `walk*` function of its type).
   * Mutates `root` in place.
   */
  async transform<Root>(
    root: Root,
    walk: (root: Root, env: WalkEnv<SerializationContext>, context: SerializationContext) => Promise<unknown>[],
    direction: 'encode' | 'decode',
    context: SerializationContext,
    deriveContext?: (message: object, typeName: string, context: SerializationContext) => SerializationContext,
  ): Promise<void> {
    const code = direction === 'encode' ? encode : decode;
    await visit<Root, SerializationContext>(root, walk, {
      transformPayload: async (payload, ctx) => (await code(this.#codecs, [payload], ctx))[0]!,
      transformPayloads: (payloads, ctx) => code(this.#codecs, payloads, ctx),
      initialContext: context,
      deriveContext,
      skipHeaders: true,
      skipSearchAttributes: true,
      limit: this.#limit,
    });
  }

  #contexts(key: CodecRun): Map<string, SerializationContext> {
    let map = this.#pending.get(key);
    if (map === undefined) this.#pending.set(key, (map = new Map()));
    return map;
  }
}

function workflowContext(run: CodecRun): SerializationContext {
  return { type: 'workflow', namespace: run.namespace, workflowId: run.workflowId };
}

/** The context a command's payloads are encoded in, and the key its resolution is found by. */
function commandContext(command: ICommand, run: CodecRun): [string, number | null | undefined, SerializationContext | undefined] | undefined {
  const activity = command.scheduleActivity ?? command.scheduleLocalActivity;
  if (activity) {
    return ['activity', activity.seq, { type: 'activity', namespace: run.namespace, workflowId: run.workflowId, activityId: activity.activityId || undefined, isLocal: command.scheduleActivity == null }];
  }
  const child = command.startChildWorkflowExecution;
  if (child) return ['child', child.seq, child.workflowId ? { type: 'workflow', namespace: child.namespace || run.namespace, workflowId: child.workflowId } : undefined];
  const external = command.signalExternalWorkflowExecution ?? command.requestCancelExternalWorkflowExecution;
  if (external) {
    const target = external.workflowExecution;
    const workflowId = target?.workflowId ?? (('childWorkflowId' in external ? external.childWorkflowId : undefined) || undefined);
    const kind = command.signalExternalWorkflowExecution ? 'signal' : 'cancel';
    return [kind, external.seq, workflowId ? { type: 'workflow', namespace: target?.namespace || run.namespace, workflowId } : undefined];
  }
  return undefined;
}
