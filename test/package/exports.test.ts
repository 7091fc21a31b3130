/**
 * The published surface: every tsup entry is a package.json export, every export points at a
 * file the build produces, and the root entry loads no optional peer (cloud SDKs, Pyodide, Temporal).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { entries } from '../../tsup.config.js';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string }>;
};
const subpathExports = Object.entries(pkg.exports).filter(([k]) => k !== './package.json');

function subpathOf(entry: string): string {
  return entry === 'index' ? '.' : `./${entry}`;
}

describe('package exports', () => {
  beforeAll(async () => {
    await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js')], {
      cwd: root,
      maxBuffer: 32 * 1024 * 1024,
    });
  }, 300_000);

  it('exports every tsup entry under the matching subpath', () => {
    const exported = new Set(subpathExports.map(([k]) => k));
    for (const entry of Object.keys(entries)) expect(exported, `entry ${entry}`).toContain(subpathOf(entry));
  });

  it('builds every export (types and ESM) from a tsup entry', () => {
    const fromEntries = new Set(Object.keys(entries).map(subpathOf));
    for (const [subpath, target] of subpathExports) {
      expect(fromEntries, `export ${subpath} has no tsup entry`).toContain(subpath);
      expect(typeof target).toBe('object');
      const { types, import: esm } = target as { types: string; import: string };
      expect(existsSync(join(root, esm)), `${subpath} → ${esm}`).toBe(true);
      expect(existsSync(join(root, types)), `${subpath} → ${types}`).toBe(true);
    }
  });

  it('imports no optional peer dependency from the root entry, statically', () => {
    // Follow the static import graph of the built root entry through its chunks; dynamic
    // `import()` of an optional peer inside an adapter is allowed and not followed.
    const bare = new Set<string>();
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      for (const m of code.matchAll(/(?:^|[;\n])\s*(?:import|export)\s*(?:[^'"()]*?\sfrom\s*)?["']([^"']+)["']/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(join(dirname(file), spec));
        else bare.add(spec);
      }
    };
    visit(join(root, 'dist', 'index.js'));
    const peers = ['@aws-sdk/', '@google-cloud/', 'pyodide', '@temporalio/', 'quickjs-emscripten'];
    expect([...bare].filter((b) => peers.some((p) => b.startsWith(p)))).toEqual([]);
  });
});
