/**
 * ShutdownWorker for the poll loops of one worker instance key. The server completes *every* open
 * poll of that key on it, so a loop that asked as soon as its own polls were quiet ended the others'
 * polls too, and a poll the server was handing a task to at that moment lost it (`bench:drain`,
 * 2026-12-01 evening: an idle activity loop asked at once while the workflow loop was still
 * taking a backlog of first workflow tasks; 1–2 tasks lost per 20 rounds). So the call goes out
 * once every loop that joined has asked, or had its polls end by themselves.
 */
export class ShutdownBarrier {
  private joined = 0;
  private asked = 0;
  private sealed = false;
  private fire!: () => void;
  private readonly sent: Promise<void>;

  constructor(send: () => Promise<void>) {
    this.sent = new Promise<void>((r) => (this.fire = r)).then(send);
  }

  /**
   * The `cancelOpenPolls` of one loop: it joins when it is called with it (synchronously, at the
   * start of its stop), and asks once; the promise settles when the call has been made.
   */
  readonly cancelOpenPolls: JoinableCancel = Object.assign(() => this.sent, {
    join: (): (() => Promise<void>) => {
      this.joined++;
      let done = false;
      return () => {
        if (!done) {
          done = true;
          this.asked++;
          this.check();
        }
        return this.sent;
      };
    },
  });

  /** Every loop that will stop has joined: the call can go out once they have all asked. */
  seal(): void {
    this.sealed = true;
    this.check();
  }

  /** Sends now (the drain's end, or no loop joined); resolves once sent. */
  now(): Promise<void> {
    this.fire();
    return this.sent;
  }

  private check(): void {
    if (this.sealed && this.asked >= this.joined) this.fire();
  }
}

/** A `cancelOpenPolls` a loop may join (see {@link ShutdownBarrier}); a plain one is called as is. */
export type JoinableCancel = (() => Promise<unknown>) & { join?: () => () => Promise<unknown> };
