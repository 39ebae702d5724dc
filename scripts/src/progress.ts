/**
 * A progress bar on stderr: redrawn in place on a terminal, else a line at
 * each quarter. Either way the final count is drawn exactly once, as a clean
 * line of its own, however often `update` reaches the total before `finish`.
 */
export interface ProgressBar {
  update(done: number): void;
  finish(): void;
}

export function progressBar(label: string, total: number, out: { isTTY?: boolean; write(s: string): unknown } = process.stderr): ProgressBar {
  const tty = out.isTTY === true;
  let lastPct = -1;
  let finished = false;
  const line = (done: number, pct: number) => {
    if (!tty) return `${label}: ${done}/${total} (${pct}%)`;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${pct}%`;
  };
  const render = (done: number) => {
    if (finished) return;
    const pct = total ? Math.floor((Math.min(done, total) / total) * 100) : 100;
    if (done >= total) {
      // The last line is finish()'s.
      lastPct = 100;
      return;
    }
    if (tty) out.write(`\r${line(done, pct)}\x1b[K`);
    else if (pct >= lastPct + 25) {
      lastPct = pct - (pct % 25);
      out.write(`${line(done, pct)}\n`);
    }
  };
  return {
    update: render,
    finish: () => {
      if (finished) return;
      finished = true;
      out.write(`${tty ? '\r' : ''}${line(total, 100)}${tty ? '\x1b[K' : ''}\n`);
    },
  };
}
