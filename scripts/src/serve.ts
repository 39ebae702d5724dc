/**
 * Runs a service until SIGINT/SIGTERM, or until the parent that spawned it with
 * an IPC channel goes away (the local cluster: no orphaned services), then
 * closes it cleanly.
 */
export async function serveUntilSignal(service: { start(): Promise<{ port: number }>; close(): Promise<void> }, describe: (port: number) => string): Promise<void> {
  const { port } = await service.start();
  process.stdout.write(`${describe(port)}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('disconnect', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (process.connected) process.on('disconnect', stop);
  });
  await service.close();
  if (process.connected) process.disconnect(); // the IPC channel would keep the process alive
}
