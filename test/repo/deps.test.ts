/**
 * Each workspace package declares, in its own `dependencies`, every package
 * its code imports: another workspace (`"@custodes/web": "*"`) or an npm
 * package (the root's range). Hoisting made undeclared imports work here, and
 * they broke anything that installs one workspace alone (the coordinator and
 * the custodian imported @custodes/web without declaring it).
 *
 * Imports are read by TypeScript's own scanner (ts.preProcessFile), which
 * sees static, type-only, re-exporting and dynamic imports and skips
 * comments and strings.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
/** Folders holding a workspace's code (tests live at the root and use the root's packages). */
const CODE_DIRS = ['src', 'bin'];

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  workspaces?: string[];
}

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

function* sourceFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* sourceFiles(path);
    else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) yield path;
  }
}

/** The package a bare specifier names ('@scope/name/sub' → '@scope/name', 'name/sub' → 'name'); null for relative paths and Node built-ins. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtinModules.includes(name) ? null : name;
}

/** Every `file: package` import in the workspace at `dir` that its package.json does not declare in `dependencies`. */
function undeclaredImports(dir: string): string[] {
  const pkg = manifest(dir);
  const declared = new Set(Object.keys(pkg.dependencies ?? {}));
  const out: string[] = [];
  for (const sub of CODE_DIRS) {
    if (!existsSync(join(dir, sub))) continue;
    for (const file of sourceFiles(join(dir, sub))) {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        const name = packageOf(fileName);
        if (name !== null && name !== pkg.name && !declared.has(name)) out.push(`${file.slice(dir.length + 1)}: ${name}`);
      }
    }
  }
  return [...new Set(out)].sort();
}

const workspaces = manifest(ROOT).workspaces ?? [];

describe('workspace dependencies', () => {
  it('lists the workspaces', () => {
    expect(workspaces).toEqual(expect.arrayContaining(['shared', 'services/coordinator', 'services/custodian', 'services/auditor', 'services/web', 'scripts']));
  });

  it.each(workspaces)('%s declares every package it imports', (ws) => {
    expect(undeclaredImports(join(ROOT, ws))).toEqual([]);
  });

  it.each(workspaces)('%s declares other workspaces as "*"', (ws) => {
    const names = new Set(workspaces.map((w) => manifest(join(ROOT, w)).name));
    for (const [name, range] of Object.entries(manifest(join(ROOT, ws)).dependencies ?? {})) {
      if (names.has(name)) expect(range, `${ws}: ${name}`).toBe('*');
    }
  });

  it('finds static, type-only, re-exported and dynamic imports, and nothing in comments or strings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'custodes-deps-'));
    try {
      mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@x/self', dependencies: { declared: '1' } }));
      writeFileSync(
        join(dir, 'src', 'a.ts'),
        [
          "import declared from 'declared/sub';",
          "import type { T } from '@scope/typed/deep';",
          "import { readFileSync } from 'node:fs';",
          "import { join } from 'path';",
          "import { own } from '@x/self/sub';",
          "import { near } from './near';",
          '// import gone from "in-a-comment";',
          "const text = \"import x from 'in-a-string'\";",
        ].join('\n'),
      );
      writeFileSync(join(dir, 'src', 'deep', 'b.ts'), "export { x } from 're-exported';\nconst m = await import('dynamic');\n");
      expect(undeclaredImports(dir)).toEqual(['src/a.ts: @scope/typed', 'src/deep/b.ts: dynamic', 'src/deep/b.ts: re-exported']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
