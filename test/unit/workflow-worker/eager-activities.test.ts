import { describe, expect, it } from 'vitest';
import { requestEager, settleEager, type EagerActivitySink } from '../../../core/workflow-worker/eager-activities.js';
import type { temporal } from '../../../core/connection/proto.js';

const schedule = (queue: string, eligible = true): temporal.api.command.v1.ICommand => ({
  scheduleActivityTaskCommandAttributes: { activityId: queue, taskQueue: { name: queue }, requestEagerExecution: eligible },
});

function sink(free: number) {
  const ran: unknown[] = [];
  let released = 0;
  const s: EagerActivitySink = {
    reserve: (n) => Math.min(n, free),
    release: (n) => void (released += n),
    run: (t) => void ran.push(t),
  };
  return { s, ran, released: () => released };
}

describe('eager activity execution', () => {
  it('requests eager execution only on our queue, only for eligible commands, only as many as slots', () => {
    const cmds = [schedule('q'), schedule('other'), schedule('q', false), schedule('q'), schedule('q')];
    const { s } = sink(2);
    expect(requestEager(cmds, 'q', s)).toBe(2);
    expect(cmds.map((c) => c.scheduleActivityTaskCommandAttributes!.requestEagerExecution)).toEqual([true, false, false, true, false]);
  });

  it('without a sink nothing is requested', () => {
    const cmds = [schedule('q')];
    expect(requestEager(cmds, 'q', undefined)).toBe(0);
    expect(cmds[0]!.scheduleActivityTaskCommandAttributes!.requestEagerExecution).toBe(false);
  });

  it('runs what the server handed over and releases the rest', () => {
    const { s, ran, released } = sink(3);
    settleEager(3, [{ activityId: 'a' }], s);
    expect(ran).toHaveLength(1);
    expect(released()).toBe(2);
  });
});
