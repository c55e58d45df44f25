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

describe('PollLoop', () => {
  it('stopPolling waits for the server to end open polls instead of cancelling them', async () => {
    const server = fakeServer();
    const handled: string[] = [];
    const loop = new PollLoop<string>({ name: 't', pollers: 3, slots: new Slots(5), poll: server.poll, handle: async (t) => void handled.push(t), onFatal: noop, backoff: connectionDefaults.retry, logger });
    loop.start();
    await new Promise((r) => setTimeout(r, 10));
    let ack!: () => void;
    const shutdownAnswered = new Promise<void>((r) => (ack = r));
    // No grace at all: only the server's answer may end the wait.
    const stopped = loop.stopPolling(0, shutdownAnswered);
    await new Promise((r) => setTimeout(r, 10));
    // A task the server hands out while the shutdown is in flight is still taken and run; then
    // the server ends the other polls and answers ShutdownWorker.
    server.give('late-task');
    server.endAll();
    ack();
    await stopped;
    await loop.settled();
    expect(server.aborted()).toBe(0);
    expect(handled).toEqual(['late-task']);
  });

  it('aborts polls still open after the grace (a server that cannot end them)', async () => {
    const server = fakeServer();
    const loop = new PollLoop<string>({ name: 't', pollers: 2, slots: new Slots(5), poll: server.poll, handle: async () => undefined, onFatal: noop, backoff: connectionDefaults.retry, logger });
    loop.start();
    await new Promise((r) => setTimeout(r, 10));
    await loop.stopPolling(50, Promise.resolve());
    expect(server.aborted()).toBe(2);
  });
});
