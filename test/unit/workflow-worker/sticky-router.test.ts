import { describe, expect, it } from 'vitest';
import { StickyRouter, type StickyTarget } from '../../../core/workflow-worker/sticky-router.js';

function target(taskQueue: string, accepting = true): StickyTarget & { on: boolean } {
  const t = { taskQueue, on: accepting, accepting: () => t.on };
  return t;
}

describe('StickyRouter', () => {
  it('routes a claimed run to its owner (hit), else by the run’s normal queue (miss), else nowhere', () => {
    const r = new StickyRouter();
    const a = target('qa');
    const b = target('qb');
    r.add(a);
    r.add(b);
    r.claim('run-1', b);
    expect(r.route('run-1', 'qb')).toEqual({ target: b, hit: true });
    expect(r.route('run-2', 'qa')).toEqual({ target: a, hit: false });
    expect(r.route('run-3', 'qz')).toBeUndefined();
    expect(r.route('run-3', undefined)).toBeUndefined();
  });

  it('the last claim wins, and a stale release does not undo it', () => {
    const r = new StickyRouter();
    const a1 = target('qa');
    const a2 = target('qa');
    r.add(a1);
    r.add(a2);
    r.claim('run', a1);
    r.claim('run', a2);
    r.release('run', a1);
    expect(r.route('run', 'qa')).toEqual({ target: a2, hit: true });
    r.release('run', a2);
    expect(r.ownedRuns).toBe(0);
  });

  it('skips entities that do not accept (paused), and forgets removed ones with their runs', () => {
    const r = new StickyRouter();
    const a = target('qa', false);
    r.add(a);
    r.claim('run', a);
    expect(r.route('run', 'qa')).toBeUndefined();
    a.on = true;
    expect(r.route('run', 'qa')?.hit).toBe(true);
    r.remove(a);
    expect(r.size).toBe(0);
    expect(r.ownedRuns).toBe(0);
    expect(r.route('run', 'qa')).toBeUndefined();
    // A claim from an entity that is not registered (it left while answering) is ignored.
    r.claim('run', a);
    expect(r.ownedRuns).toBe(0);
  });
});
