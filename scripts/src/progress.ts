/** A one-line progress bar on stderr (only when stderr is a terminal, else periodic lines). */
export function progressBar(label: string, total: number): { update(done: number): void; finish(): void } {
  const tty = process.stderr.isTTY;
  let lastLine = -1;
  const render = (done: number) => {
    const pct = total ? Math.floor((done / total) * 100) : 100;
    if (tty) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${pct}%`);
    } else if (pct >= lastLine + 25 || done === total) {
      lastLine = pct;
      process.stderr.write(`${label}: ${done}/${total} (${pct}%)\n`);
    }
  };
  return {
    update: render,
    finish: () => {
      render(total);
      if (tty) process.stderr.write('\n');
    },
  };
}
