// Kept apart from support.ts so worker processes load nothing they do not measure.
/** Runs an official worker; the function returned shuts it down and then closes its connection. */
export function runOfficial(worker: { run(): Promise<void>; shutdown(): void }, connection: { close(): Promise<void> }): () => Promise<void> {
  const running = worker.run();
  return async () => {
    worker.shutdown();
    await running;
    await connection.close();
  };
}
