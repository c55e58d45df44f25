import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { portable, revive } from '../../../sandbox/portable-values.js';

describe('values crossing from a sandbox thread (sink arguments)', () => {
  it('keep an error\'s name, message, stack, cause and own properties, even from a vm context; functions become text', () => {
    const fromWorkflow = vm.runInNewContext(`
      class ApplicationFailure extends Error { constructor(m) { super(m, { cause: new TypeError('inner') }); this.name = 'ApplicationFailure'; this.type = 'Rejected'; this.details = [1]; } }
      ({ error: new ApplicationFailure('order rejected'), at: new Date(0), big: 12n, list: [{ deep: true }], fn() {} })`) as Record<string, unknown>;
    const arrived = revive(structuredClone(portable(fromWorkflow))) as Record<string, unknown>;
    const error = arrived.error as Error & { type: string; details: unknown[] };
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'ApplicationFailure', message: 'order rejected', type: 'Rejected', details: [1] });
    expect(error.stack).toContain('order rejected');
    expect(error.cause).toMatchObject({ name: 'TypeError', message: 'inner' });
    expect(arrived).toMatchObject({ at: new Date(0), big: 12n, list: [{ deep: true }] });
    expect(typeof arrived.fn).toBe('string');
  });
});
