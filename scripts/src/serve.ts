/** Runs a service until SIGINT/SIGTERM, then closes it cleanly. */
export async function serveUntilSignal(service: { start(): Promise<{ port: number }>; close(): Promise<void> }, describe: (port: number) => string): Promise<void> {
  const { port } = await service.start();
  process.stdout.write(`${describe(port)}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await service.close();
}
