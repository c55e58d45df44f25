import { describe, expect, it } from 'vitest';
import { ShutdownBarrier } from '../../../core/shutdown-barrier.js';
import { PollLoop } from '../../../core/poll-loop.js';
import { Slots } from '../../../core/slots.js';
import { connectionDefaults } from '../../../core/connection/connection-options.js';

const noop = (): void => undefined;
const silentLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('ShutdownBarrier', () => {
  it('sends once every joined loop has asked, not when the first one does', async () => {
    let sent = 0;
    const b = new ShutdownBarrier(async () => void sent++);
    const first = b.cancelOpenPolls.join!();
    const second = b.cancelOpenPolls.join!();
    b.seal();
    void first();
    await tick();
    expect(sent).toBe(0);
    await second();
    expect(sent).toBe(1);
    await b.now();
    expect(sent).toBe(1);
  });

  it('waits for the seal, so a loop that joins later is waited for too', async () => {
    let sent = 0;
    const b = new ShutdownBarrier(async () => void sent++);
    void b.cancelOpenPolls.join!()();
    await tick();
    expect(sent).toBe(0);
    const late = b.cancelOpenPolls.join!();
    b.seal();
    await tick();
    expect(sent).toBe(0);
    await late();
    expect(sent).toBe(1);
  });

  it("an idle loop's ask waits until the busy loop's open poll has come back with its task", async () => {
    let sentAt = -1;
    let busyResolvedAt = -1;
    const opened: Array<(task: number | undefined) => void> = [];
    const b = new ShutdownBarrier(async () => {
      sentAt = performance.now();
      for (const end of opened.splice(0)) end(undefined); // the server answers every open poll empty
    });
    const loop = (busy: boolean) =>
      new PollLoop<number>({
        name: busy ? 'busy' : 'idle',
        pollers: 1,
        slots: new Slots(10),
        // A busy loop's polls each bring a task after 30 ms (a backlog); an idle loop's wait.
        poll: () =>
          new Promise((resolve) => {
            if (!busy) return void opened.push(resolve);
            setTimeout(() => {
              busyResolvedAt = performance.now();
              resolve(1);
            }, 30);
          }),
        handle: async () => undefined,
        onFatal: noop,
        backoff: connectionDefaults.retry,
        logger: silentLogger,
        quietStop: true,
      });
    const idle = loop(false);
    const busy = loop(true);
    idle.start();
    busy.start();
    await new Promise((r) => setTimeout(r, 100)); // the busy loop has brought tasks; one poll is open
    const t0 = performance.now();
    const stops = Promise.all([idle.stopPolling(500, b.cancelOpenPolls), busy.stopPolling(500, b.cancelOpenPolls)]);
    b.seal();
    await stops;
    // The idle loop asked at t0; ShutdownWorker waited for the busy loop's open poll to come back.
    expect(busyResolvedAt - t0).toBeGreaterThan(5);
    expect(sentAt).toBeGreaterThanOrEqual(busyResolvedAt);
  });
});
