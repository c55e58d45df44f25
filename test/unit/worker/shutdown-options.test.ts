import { describe, expect, it } from 'vitest';
import { runtimeDefaults, runtimeInputSchema } from '../../../core/runtime/runtime-options.js';
import { workerEntityDefaults, workerEntityInputSchema } from '../../../core/worker/worker-entity-options.js';
import { compileShutdown, shutdownDefaults } from '../../../core/worker/shutdown-options.js';
import { validate } from '../../../core/validate.js';

describe('shutdown options', () => {
  it('one defaults object, read by the entity and the runtime', () => {
    expect(workerEntityDefaults).toMatchObject(shutdownDefaults);
    expect(runtimeDefaults).toMatchObject(shutdownDefaults);
  });

  it('takes our …Ms numbers and the official names as ms or duration strings', () => {
    expect(compileShutdown(validate(workerEntityInputSchema, { taskQueue: 'q', drainGraceMs: 1000, shutdownForceTimeMs: 2000 }, 'worker'))).toEqual({ drainGraceMs: 1000, shutdownForceTimeMs: 2000 });
    expect(compileShutdown(validate(runtimeInputSchema, { shutdownGraceTime: '5s', shutdownForceTime: 250 }, 'runtime'))).toEqual({ drainGraceMs: 5000, shutdownForceTimeMs: 250 });
    expect(compileShutdown({})).toEqual({});
  });

  it('refuses a duration that is not one, naming the field', () => {
    expect(() => validate(runtimeInputSchema, { shutdownForceTime: 'soon' }, 'runtime')).toThrow(/runtime\.shutdownForceTime: must be a duration/);
    expect(() => validate(workerEntityInputSchema, { taskQueue: 'q', shutdownForceTimeMs: -1 }, 'worker')).toThrow(/worker\.shutdownForceTimeMs/);
  });
});
