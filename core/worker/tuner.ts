import { z } from 'zod';

/** The official `FixedSizeSlotSupplier`: a fixed number of task slots. */
export interface FixedSizeSlotSupplier {
  type: 'fixed-size';
  numSlots: number;
}

/**
 * The official `TunerHolder` shape, with fixed-size suppliers only: resource-based and custom
 * slot suppliers have no implementation here (see docs/runtime.md). Every supplier may be left
 * out, keeping that kind's default.
 */
export interface WorkerTunerInput {
  workflowTaskSlotSupplier?: FixedSizeSlotSupplier;
  activityTaskSlotSupplier?: FixedSizeSlotSupplier;
  localActivityTaskSlotSupplier?: FixedSizeSlotSupplier;
  nexusTaskSlotSupplier?: FixedSizeSlotSupplier;
}

const fixed = z
  .object({ type: z.literal('fixed-size', { message: "only 'fixed-size' slot suppliers are supported (resource-based and custom ones are not)" }), numSlots: z.number().int().positive() })
  .strict();

export const workerTunerSchema = z
  .object({
    workflowTaskSlotSupplier: fixed.optional(),
    activityTaskSlotSupplier: fixed.optional(),
    localActivityTaskSlotSupplier: fixed.optional(),
    nexusTaskSlotSupplier: fixed.optional(),
  })
  // A resource-based tuner's `tunerOptions` / `controller` land here as unknown keys.
  .strict();

/** The slot options a tuner sets; the official worker refuses them beside a tuner, and so do we. */
export const TUNED_OPTIONS = ['maxConcurrentWorkflowTaskExecutions', 'maxConcurrentActivityTaskExecutions', 'maxConcurrentLocalActivityExecutions', 'maxConcurrentNexusTaskExecutions'] as const;

/** The slot counts of a validated tuner, under the names of the options they replace. */
export function compileTuner(tuner: WorkerTunerInput | undefined): Partial<Record<(typeof TUNED_OPTIONS)[number], number>> {
  if (!tuner) return {};
  const out: Partial<Record<(typeof TUNED_OPTIONS)[number], number>> = {};
  if (tuner.workflowTaskSlotSupplier) out.maxConcurrentWorkflowTaskExecutions = tuner.workflowTaskSlotSupplier.numSlots;
  if (tuner.activityTaskSlotSupplier) out.maxConcurrentActivityTaskExecutions = tuner.activityTaskSlotSupplier.numSlots;
  if (tuner.localActivityTaskSlotSupplier) out.maxConcurrentLocalActivityExecutions = tuner.localActivityTaskSlotSupplier.numSlots;
  if (tuner.nexusTaskSlotSupplier) out.maxConcurrentNexusTaskExecutions = tuner.nexusTaskSlotSupplier.numSlots;
  return out;
}

/** The official rule, as a message: `Cannot set both tuner and maxConcurrent…`. */
export function checkTunerInput(o: Record<string, unknown>): string | undefined {
  if (o.tuner === undefined) return undefined;
  const both = TUNED_OPTIONS.find((k) => o[k] !== undefined);
  return both ? `cannot set both tuner and ${both}` : undefined;
}
