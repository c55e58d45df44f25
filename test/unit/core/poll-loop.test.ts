import { describe, expect, it } from 'vitest';
import { PollLoop } from '../../../core/poll-loop.js';
import { Slots } from '../../../core/slots.js';
import { connectionDefaults } from '../../../core/connection/connection-options.js';

const noop = () => undefined;
const logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/** A fake server: polls stay open until it ends them (empty) or hands them a task. */
function fakeServer() {
  const open = new Set<{ resolve: (t: string | undefined) => void }>();
  let aborted = 0;
  return {
    poll: (signal: AbortSignal) =>
      new Promise<string | undefined>((resolve, reject) => {
        const p = { resolve };
        open.add(p);
        signal.addEventListener('abort', () => {
          if (!open.delete(p)) return; // already answered
          aborted++;
          reject(signal.reason);
        });
      }),
    endAll: () => {
      for (const p of open) p.resolve(undefined);
      open.clear();
    },
    give: (task: string) => {
      const [p] = open;
      open.delete(p!);
      p!.resolve(task);
    },
    aborted: () => aborted,
  };
}

const make = (server: ReturnType<typeof fakeServer>, handled: string[] = [], quietStop = false) =>
  new PollLoop<string>({ name: 't', pollers: 3, slots: new Slots(5), poll: server.poll, handle: async (t) => void handled.push(t), onFatal: noop, backoff: connectionDefaults.retry, logger, quietStop });

describe('PollLoop.stopPolling', () => {

  it('lets open polls end by themselves and runs the task a closing poll brings; nothing is cancelled', async () => {
    const server = fakeServer();
    const handled: string[] = [];
    const loop = make(server, handled);
    loop.start();
    await new Promise((r) => setTimeout(r, 10));
    let cancelAsked = false;
    const stopped = loop.stopPolling(5_000, async () => void (cancelAsked = true));
    await new Promise((r) => setTimeout(r, 10));
    server.give('late-task');
    server.endAll();
    await stopped;
    await loop.settled();
    expect(handled).toEqual(['late-task']);
    expect(cancelAsked).toBe(false);
    expect(server.aborted()).toBe(0);
  });

  it('after the natural window, asks the server to end the stragglers before any local abort', async () => {
    const server = fakeServer();
    const loop = make(server);
    loop.start();
    await new Promise((r) => setTimeout(r, 10));
    let cancelAsked = 0;
    await loop.stopPolling(20, async () => {
      cancelAsked++;
      server.endAll();
    });
    expect(cancelAsked).toBe(1);
    expect(server.aborted()).toBe(0);
  });

  it('aborts locally what a server that cannot end polls leaves open', async () => {
    const server = fakeServer();
    const loop = make(server);
    loop.start();
    await new Promise((r) => setTimeout(r, 10));
    await loop.stopPolling(10, async () => undefined);
    expect(server.aborted()).toBe(3);
  });

  describe('quietStop (the server completes polls on ShutdownWorker)', () => {
    const quiet = (server: ReturnType<typeof fakeServer>, handled: string[] = []) => make(server, handled, true);

    it('an idle loop asks the server to end its polls at once', async () => {
      const server = fakeServer();
      const loop = quiet(server);
      loop.start();
      await new Promise((r) => setTimeout(r, 10));
      const t0 = performance.now();
      let askedAfter = -1;
      await loop.stopPolling(5_000, async () => {
        askedAfter = performance.now() - t0;
        server.endAll();
      });
      expect(askedAfter).toBeGreaterThanOrEqual(0);
      expect(askedAfter).toBeLessThan(1_000);
      expect(server.aborted()).toBe(0);
    });

    it('a loop whose one recent task was no backlog (a run finishing just before the stop) asks at once', async () => {
      const server = fakeServer();
      const handled: string[] = [];
      const loop = quiet(server, handled);
      loop.start();
      await new Promise((r) => setTimeout(r, 10));
      server.give('the-run-s-last-task');
      await new Promise((r) => setTimeout(r, 10));
      const t0 = performance.now();
      let askedAfter = -1;
      await loop.stopPolling(5_000, async () => {
        askedAfter = performance.now() - t0;
        server.endAll();
      });
      expect(askedAfter).toBeGreaterThanOrEqual(0);
      expect(askedAfter).toBeLessThan(1_000); // the busy loop's wait would be 5 s here
      expect(handled).toEqual(['the-run-s-last-task']);
      expect(server.aborted()).toBe(0);
    });

    it('a loop whose polls are bringing tasks waits until they have brought none for the window, then asks', async () => {
      const server = fakeServer();
      const handled: string[] = [];
      const loop = quiet(server, handled);
      loop.start();
      await new Promise((r) => setTimeout(r, 10));
      server.give('before-stop'); // two tasks in a row: the loop is draining a backlog
      server.give('before-stop-2');
      await new Promise((r) => setTimeout(r, 10));
      let asked = false;
      const stopped = loop.stopPolling(150, async () => {
        asked = true;
        server.endAll();
      });
      // A task still being handed out 100 ms into the stop extends the wait: nothing is ended under it.
      await new Promise((r) => setTimeout(r, 100));
      expect(asked).toBe(false);
      server.give('during-stop');
      await new Promise((r) => setTimeout(r, 100));
      expect(asked).toBe(false);
      await stopped;
      await loop.settled();
      expect(asked).toBe(true);
      expect(handled).toEqual(['before-stop', 'before-stop-2', 'during-stop']);
      expect(server.aborted()).toBe(0);
    });
  });
});
