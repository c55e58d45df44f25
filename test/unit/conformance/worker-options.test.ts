import { describe, expect, it } from 'vitest';
import { harnessIgnoreModules, mapWorkerOptions } from '../../../test/conformance/worker-options.js';

const ourKeys = new Set(['identity', 'drainGraceMs', 'maxCachedWorkflows', 'workflowInterceptorModules', 'stickyQueueScheduleToStartTimeoutMs']);
const inbound = () => ({});

describe('mapWorkerOptions', () => {
  it('renames official options whose meaning we share, with durations in ms', () => {
    const mapped = mapWorkerOptions({ shutdownGraceTime: '10s', stickyQueueScheduleToStartTimeout: 2500, maxCachedWorkflows: 0, identity: 'me' }, ourKeys);
    expect(mapped.input).toEqual({ drainGraceMs: 10_000, stickyQueueScheduleToStartTimeoutMs: 2500, maxCachedWorkflows: 0, identity: 'me' });
    expect(mapped.notPassed).toEqual([]);
  });

  it('leaves what the runner gives itself, and lists what our entity does not take', () => {
    const mapped = mapWorkerOptions(
      { connection: {}, namespace: 'ns', taskQueue: 'q', workflowsPath: '/w.js', activities: {}, enableNonLocalActivities: false, dataConverter: { payloadConverterPath: '/c.js' }, tuner: undefined },
      ourKeys,
    );
    expect(mapped.input).toEqual({});
    expect(mapped.notPassed).toEqual(['enableNonLocalActivities', 'dataConverter']);
  });

  it('passes official names as they are once our entity takes them', () => {
    const mapped = mapWorkerOptions({ enableNonLocalActivities: false, dataConverter: { payloadConverterPath: '/c.js' } }, new Set(['enableNonLocalActivities', 'dataConverter']));
    expect(mapped.input).toEqual({ enableNonLocalActivities: false, dataConverter: { payloadConverterPath: '/c.js' } });
    expect(mapped.notPassed).toEqual([]);
  });

  it('maps bundlerOptions to the official name, else to our ignoreModules, else lists it', () => {
    const official = { bundlerOptions: { ignoreModules: ['fs'], webpackConfigHook: inbound } };
    expect(mapWorkerOptions(official, new Set(['bundlerOptions'])).input).toEqual(official);
    const ours = mapWorkerOptions(official, new Set(['ignoreModules']));
    expect(ours.input).toEqual({ ignoreModules: ['fs'] });
    expect(ours.notPassed).toEqual(['bundlerOptions.webpackConfigHook']);
    expect(mapWorkerOptions(official, new Set()).notPassed).toEqual(['bundlerOptions.ignoreModules', 'bundlerOptions.webpackConfigHook']);
  });

  it('hands activity inbound interceptors to the runner and workflow modules to our entity', () => {
    const mapped = mapWorkerOptions({ interceptors: { activityInbound: [inbound], workflowModules: ['/i.js'], nexus: [] } }, ourKeys);
    expect(mapped.activityInbound).toEqual([inbound]);
    expect(mapped.input).toEqual({ workflowInterceptorModules: ['/i.js'] });
    expect(mapped.notPassed).toEqual(['interceptors.nexus']);
  });
});

describe('harnessIgnoreModules', () => {
  it('ignores every module the official bundler disallows, built-ins also with node:, and grpc', () => {
    const list = harnessIgnoreModules(['fs', 'child_process', '@temporalio/client', '@temporalio/worker']);
    expect(list).toEqual(['fs', 'child_process', '@temporalio/client', '@temporalio/worker', 'node:fs', 'node:child_process', '@grpc/grpc-js']);
  });
});
