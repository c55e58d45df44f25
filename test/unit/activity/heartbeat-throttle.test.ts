import { afterEach, describe, expect, it, vi } from 'vitest';
import { HeartbeatThrottle, heartbeatThrottleDefaults, heartbeatThrottleIntervalMs } from '../../../core/activity/heartbeat-throttle.js';

describe('heartbeatThrottleIntervalMs', () => {
  it('is 80% of the heartbeat timeout', () => {
    expect(heartbeatThrottleIntervalMs(10_000, heartbeatThrottleDefaults)).toBe(8_000);
  });
  it('is the default without a heartbeat timeout', () => {
    expect(heartbeatThrottleIntervalMs(undefined, heartbeatThrottleDefaults)).toBe(30_000);
    expect(heartbeatThrottleIntervalMs(0, heartbeatThrottleDefaults)).toBe(30_000);
  });
  it('never exceeds the maximum', () => {
    expect(heartbeatThrottleIntervalMs(600_000, heartbeatThrottleDefaults)).toBe(60_000);
  });
});

describe('HeartbeatThrottle', () => {
  afterEach(() => vi.useRealTimers());

  it('sends the first at once, coalesces the rest to one send per interval with the latest details', async () => {
    vi.useFakeTimers();
    let now = 0;
    const sent: number[] = [];
    const t = new HeartbeatThrottle<number>(1000, async (d) => void sent.push(d), () => now);
    t.heartbeat(1);
    t.heartbeat(2);
    t.heartbeat(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1]);
    now = 1000;
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual([1, 3]);
  });

  it('flush sends what is pending and waits for it', async () => {
    const sent: string[] = [];
    const t = new HeartbeatThrottle<string>(60_000, async (d) => {
      await new Promise((r) => setTimeout(r, 5));
      sent.push(d);
    });
    t.heartbeat('a');
    t.heartbeat('b');
    await t.flush();
    expect(sent).toEqual(['a', 'b']);
    t.close();
  });

  it('drops details after close', async () => {
    const sent: string[] = [];
    const t = new HeartbeatThrottle<string>(60_000, async (d) => void sent.push(d));
    t.close();
    t.heartbeat('x');
    await t.flush();
    expect(sent).toEqual([]);
  });
});
