/**
 * P2: the log store (scripts/src/bench/log.ts) as ratios against raw SQLite
 * measured in the same run: the same leaves inserted by a plain
 * better-sqlite3 loop into one table (WAL, synchronous=FULL, the same batch per
 * transaction), a primary-key SELECT as the unit for proof times, and that
 * table's bytes per entry as the unit for the log's.
 *
 *   npx tsx scripts/src/bench/p2.ts [--entries N]
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runLogBench } from './log';
import type { LogBenchResult } from './log';

type Write = (line: string) => void;

export interface RawSqliteResult {
  appendsPerSecond: number;
  selectMedianMs: number;
  bytesPerEntry: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The floor: `INSERT INTO leaves(data)` in batches, no hashing, no tree, no index beyond the rowid. */
export async function rawSqlite(entries: number, batch = 1000, leafBytes = 200): Promise<RawSqliteResult> {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-bench-sqlite-'));
  const db = new Database(join(dir, 'raw.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE leaves (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO leaves (id, data) VALUES (?, ?)');
    const many = db.transaction((rows: Buffer[], first: number) => {
      for (let k = 0; k < rows.length; k++) insert.run(first + k, rows[k]!);
    });
    const filler = randomBytes(leafBytes);
    let ms = 0;
    for (let start = 0; start < entries; start += batch) {
      const rows = Array.from({ length: Math.min(batch, entries - start) }, (_, k) => {
        const b = Buffer.from(filler);
        b.writeUInt32BE(start + k, 0);
        return b;
      });
      const t = performance.now();
      many(rows, start);
      ms += performance.now() - t;
      if ((start / batch) % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    const select = db.prepare('SELECT data FROM leaves WHERE id = ?');
    const times: number[] = [];
    for (let s = 0; s < 2000; s++) {
      const id = Math.floor(Math.random() * entries);
      const t = performance.now();
      select.get(id);
      times.push(performance.now() - t);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    return { appendsPerSecond: (entries / ms) * 1000, selectMedianMs: median(times), bytesPerEntry: bytes / entries };
  } finally {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface P2Result {
  log: LogBenchResult;
  raw: RawSqliteResult;
}

export async function runP2(opts: { entries?: number; write?: Write } = {}): Promise<P2Result> {
  const entries = opts.entries ?? 1_000_000;
  const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'));
  write(`raw SQLite baseline: ${entries.toLocaleString('en')} inserts of 200 B, 1000 per transaction, WAL, synchronous=FULL`);
  const raw = await rawSqlite(entries);
  write(`  ${Math.round(raw.appendsPerSecond).toLocaleString('en')} inserts/s, primary-key SELECT median ${raw.selectMedianMs.toFixed(4)} ms, ${raw.bytesPerEntry.toFixed(1)} B/entry on disk`);
  const log = await runLogBench({ entries, print: write });
  write('');
  write(`P2 log store at ${entries.toLocaleString('en')} entries, as ratios to raw SQLite in the same run`);
  write(`  appends/s: ${(log.appendsPerSecond / raw.appendsPerSecond).toFixed(2)}× of raw inserts/s (${Math.round(log.appendsPerSecond).toLocaleString('en')} vs ${Math.round(raw.appendsPerSecond).toLocaleString('en')})`);
  write(`  inclusion proof median: ${(log.inclusionMedianMs / raw.selectMedianMs).toFixed(1)}× a primary-key SELECT (${log.inclusionMedianMs.toFixed(3)} ms)`);
  write(`  consistency proof median: ${(log.consistencyMedianMs / raw.selectMedianMs).toFixed(1)}× a primary-key SELECT (${log.consistencyMedianMs.toFixed(3)} ms)`);
  write(`  bytes per entry: ${(log.bytesPerEntry / raw.bytesPerEntry).toFixed(2)}× raw SQLite's (${log.bytesPerEntry.toFixed(1)} vs ${raw.bytesPerEntry.toFixed(1)} B)`);
  return { log, raw };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--entries');
  await runP2({ entries: i >= 0 ? Number(args[i + 1]) : undefined });
}
