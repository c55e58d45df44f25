import { describe, expect, it } from 'vitest';
import { WorkerStateMachine } from '../../../core/worker/worker-state.js';
import { hasErrorCode } from '../../../core/errors.js';

describe('WorkerStateMachine', () => {
  it('follows INITIALIZED → RUNNING ⇄ PAUSED → DRAINING → DRAINED → STOPPED and tells listeners', () => {
    const m = new WorkerStateMachine('worker q');
    const seen: string[] = [];
    m.onChange((next, prev) => seen.push(`${prev}>${next}`));
    for (const s of ['RUNNING', 'PAUSED', 'RUNNING', 'DRAINING', 'DRAINED', 'STOPPED'] as const) m.moveTo(s);
    expect(seen).toEqual(['INITIALIZED>RUNNING', 'RUNNING>PAUSED', 'PAUSED>RUNNING', 'RUNNING>DRAINING', 'DRAINING>DRAINED', 'DRAINED>STOPPED']);
  });

  it('refuses a transition the lifecycle does not allow, naming both states', () => {
    const m = new WorkerStateMachine('worker q');
    expect(() => m.moveTo('DRAINED')).toThrow(/cannot go from INITIALIZED to DRAINED/);
    try {
      m.moveTo('PAUSED');
    } catch (err) {
      expect(hasErrorCode(err, 'ILLEGAL_STATE')).toBe(true);
    }
  });

  it('a throwing listener does not break the transition', () => {
    const m = new WorkerStateMachine('w');
    m.onChange(() => {
      throw new Error('listener bug');
    });
    m.moveTo('RUNNING');
    expect(m.state).toBe('RUNNING');
  });

  it('assert names the action, the state and what was required', () => {
    const m = new WorkerStateMachine('worker q');
    expect(() => m.assert('pause', 'RUNNING')).toThrow('Cannot pause worker q: it is INITIALIZED; it must be RUNNING.');
  });
});
