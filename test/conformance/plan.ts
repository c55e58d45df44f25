/**
 * Groups features into server batches as the suite's Go runner does (`makeRunBatches` in
 * `cmd/run.go`): one default batch on the base dynamic config, then one batch per run variant,
 * each on a fresh server with the variant's overrides.
 */
import { randomUUID } from 'node:crypto';
import { withOverrides, type DynamicConfig } from './dynamic-config.js';
import type { DiscoveredFeature } from './discovery.js';

export interface PlannedFeature {
  readonly dir: string;
  /** Unset in the default batch. */
  readonly variant?: string;
  /** Tunnels the feature must open through the proxy; set only for features that expect some. */
  readonly expectProxy?: { readonly unauthed: number; readonly authed: number };
}

export interface RunBatch {
  /** `default`, or the variant's name. */
  readonly label: string;
  readonly dynamicConfig: DynamicConfig;
  /** The variant's expected namespace capabilities; checked before its features run. */
  readonly capabilities?: Readonly<Record<string, boolean>>;
  readonly features: readonly PlannedFeature[];
  /** True when some feature of the batch needs the HTTP CONNECT proxy. */
  readonly needsProxy: boolean;
}

function expectProxy(feature: DiscoveredFeature): PlannedFeature['expectProxy'] {
  const unauthed = feature.config.expectUnauthedProxyCount ?? 0;
  const authed = feature.config.expectAuthedProxyCount ?? 0;
  return unauthed > 0 || authed > 0 ? { unauthed, authed } : undefined;
}

export function planBatches(features: readonly DiscoveredFeature[], baseConfig: DynamicConfig): RunBatch[] {
  const plain: PlannedFeature[] = [];
  const variants: RunBatch[] = [];
  for (const feature of features) {
    const proxy = expectProxy(feature);
    const runVariants = feature.config.runVariants ?? [];
    if (runVariants.length === 0) {
      plain.push({ dir: feature.dir, ...(proxy && { expectProxy: proxy }) });
      continue;
    }
    for (const variant of runVariants) {
      variants.push({
        label: variant.name,
        dynamicConfig: withOverrides(baseConfig, variant.dynamicConfig),
        capabilities: variant.expectNamespaceCapabilities,
        features: [{ dir: feature.dir, variant: variant.name, ...(proxy && { expectProxy: proxy }) }],
        needsProxy: proxy !== undefined,
      });
    }
  }
  const batches: RunBatch[] = [];
  if (plain.length > 0) {
    batches.push({ label: 'default', dynamicConfig: { ...baseConfig }, features: plain, needsProxy: plain.some((f) => f.expectProxy) });
  }
  return [...batches, ...variants];
}

/** A fresh task queue per run, named as the Go runner names them, plus which worker ran it. */
export function taskQueueFor(dir: string, variant: string | undefined, worker: string, id: string = randomUUID()): string {
  return ['features', dir, ...(variant ? [variant] : []), worker, id].join('-');
}
