/**
 * Guest code (src/guest-source.ts) is checked source: its JavaScript passes tsc in the guest
 * programs, its Python compiles, and `guestSource` hands out every guest file exactly as it is on
 * disk (in source runs; test/package/exports.test.ts runs the inlined copies from dist).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GUEST_FILES, guestSource } from '../src/guest-source.js';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');
const run = promisify(execFile);

describe('guest files', () => {
  it('lists every file in the guest directories, and hands each out as it is on disk', () => {
    const onDisk = ['sandbox/guest', 'interpreters/javascript-guest', 'interpreters/python/guest'].flatMap((dir) =>
      readdirSync(join(src, dir))
        .filter((f) => /\.(js|cjs|py)$/.test(f))
        .map((f) => `${dir}/${f}`),
    );
    expect([...GUEST_FILES].sort()).toEqual(onDisk.sort());
    for (const file of GUEST_FILES) expect(guestSource(file), file).toBe(readFileSync(join(src, file), 'utf8'));
  });

  it('JavaScript guest files start with // @ts-check and pass tsc (tsconfig.guest.json, tsconfig.guest-node.json)', async () => {
    for (const file of GUEST_FILES.filter((f) => !f.endsWith('.py'))) expect(guestSource(file).startsWith('// @ts-check\n'), file).toBe(true);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const project of ['tsconfig.guest.json', 'tsconfig.guest-node.json']) {
      const r = await run(process.execPath, [tsc, '-p', project], { cwd: root }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
      expect(r.stdout, project).toBe('');
    }
  }, 120_000);

  it('Python guest files compile', async () => {
    const files = GUEST_FILES.filter((f) => f.endsWith('.py')).map((f) => join(src, f));
    expect(files.length).toBeGreaterThan(0);
    const check = 'import sys\nfor f in sys.argv[1:]:\n    compile(open(f, encoding="utf-8").read(), f, "exec", dont_inherit=True)\n';
    await expect(run('python3', ['-c', check, ...files])).resolves.toBeDefined();
  });
});
