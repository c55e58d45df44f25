import { describe, expect, it } from 'vitest';
import { drainOnSignals } from '../../../core/runtime/signals.js';

describe('drainOnSignals', () => {
  it('first signal: shuts down and exits 0; a second one exits 1 at once', async () => {
    const exits: number[] = [];
    let release!: () => void;
    let calls = 0;
    const off = drainOnSignals(
      () => {
        calls++;
        return new Promise<void>((r) => (release = r));
      },
      { signals: ['SIGUSR2'], exit: (c) => exits.push(c) },
    );
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(calls).toBe(1);
      expect(exits).toEqual([]);
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(exits).toEqual([1]);
      release();
      await new Promise((r) => setImmediate(r));
      expect(exits).toEqual([1, 0]);
      expect(calls).toBe(1);
    } finally {
      off();
    }
  });

  it('a failing shutdown exits 1; the hard deadline exits 1 when shutdown hangs', async () => {
    const exits: number[] = [];
    const off = drainOnSignals(() => Promise.reject(new Error('x')), { signals: ['SIGUSR2'], exit: (c) => exits.push(c) });
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setImmediate(r));
    off();
    expect(exits).toEqual([1]);
    const exits2: number[] = [];
    const off2 = drainOnSignals(() => new Promise(() => undefined), { signals: ['SIGUSR2'], exit: (c) => exits2.push(c), hardDeadlineMs: 20 });
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 60));
    off2();
    expect(exits2).toEqual([1]);
  });
});
