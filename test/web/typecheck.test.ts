/**
 * The browser pages are plain JS with JSDoc types (no build step); this
 * checks them strictly against the DOM library, which the root tsconfig
 * (Node only) does not load.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('browser code', () => {
  it('type-checks with checkJs against the DOM (services/web/tsconfig.browser.json)', () => {
    const run = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'services/web/tsconfig.browser.json')], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
