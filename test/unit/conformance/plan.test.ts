import { describe, expect, it } from 'vitest';
import { planBatches, taskQueueFor } from '../../../test/conformance/plan.js';

const base = { 'frontend.enableUpdateWorkflowExecution': true };

describe('planBatches', () => {
  it('puts plain features in one default batch first, then one batch per run variant', () => {
    const batches = planBatches(
      [
        { dir: 'a/one', config: {} },
        {
          dir: 'worker_shutdown/poll_complete_on_shutdown',
          config: {
            runVariants: [
              { name: 'on', dynamicConfig: { 'frontend.enableCancelWorkerPollsOnShutdown': true }, expectNamespaceCapabilities: { workerPollCompleteOnShutdown: true } },
              { name: 'off', dynamicConfig: { 'frontend.enableCancelWorkerPollsOnShutdown': false }, expectNamespaceCapabilities: { workerPollCompleteOnShutdown: false } },
            ],
          },
        },
        { dir: 'b/two', config: {} },
      ],
      base,
    );
    expect(batches.map((b) => b.label)).toEqual(['default', 'on', 'off']);
    expect(batches[0]).toEqual({ label: 'default', dynamicConfig: base, features: [{ dir: 'a/one' }, { dir: 'b/two' }], needsProxy: false });
    expect(batches[1].dynamicConfig).toEqual({ ...base, 'frontend.enableCancelWorkerPollsOnShutdown': true });
    expect(batches[2].dynamicConfig).toEqual({ ...base, 'frontend.enableCancelWorkerPollsOnShutdown': false });
    expect(batches[2].capabilities).toEqual({ workerPollCompleteOnShutdown: false });
    expect(batches[1].features).toEqual([{ dir: 'worker_shutdown/poll_complete_on_shutdown', variant: 'on' }]);
  });

  it('marks the batches that need the HTTP proxy and what each feature must tunnel', () => {
    const [batch] = planBatches([{ dir: 'client/http_proxy_auth', config: { expectAuthedProxyCount: 1 } }, { dir: 'x/y', config: {} }], base);
    expect(batch.needsProxy).toBe(true);
    expect(batch.features[0].expectProxy).toEqual({ unauthed: 0, authed: 1 });
    expect(batch.features[1].expectProxy).toBeUndefined();
  });

  it('has no default batch when every feature has variants', () => {
    const batches = planBatches([{ dir: 'v/only', config: { runVariants: [{ name: 'x' }] } }], base);
    expect(batches.map((b) => b.label)).toEqual(['x']);
    expect(batches[0].dynamicConfig).toEqual(base);
  });
});

describe('taskQueueFor', () => {
  it('names a fresh queue per feature, variant and worker', () => {
    expect(taskQueueFor('update/basic', undefined, 'ours', 'id1')).toBe('features-update/basic-ours-id1');
    expect(taskQueueFor('w/s', 'off', 'official', 'id2')).toBe('features-w/s-off-official-id2');
    expect(taskQueueFor('a/b', undefined, 'ours')).not.toBe(taskQueueFor('a/b', undefined, 'ours'));
  });
});
