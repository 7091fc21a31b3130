import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../../src/errors.js';
import { applyPatches, PYODIDE_PATCHES, PYODIDE_VERSION, type TextPatch } from '../../../src/interpreters/python/pyodide-patches.js';

const dir = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));

describe('Pyodide text patches', () => {
  it('the installed pyodide is the pinned version', () => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    expect(pkg.version).toBe(PYODIDE_VERSION);
  });

  it('every patch matches the shipped glue and loader, and leaves no ES module syntax behind', () => {
    const glue = applyPatches('pyodide.asm.mjs', readFileSync(join(dir, 'pyodide.asm.mjs'), 'utf8'));
    const loader = applyPatches('pyodide.mjs', readFileSync(join(dir, 'pyodide.mjs'), 'utf8'));
    expect(glue).not.toContain('import.meta');
    expect(glue).not.toContain('export default');
    expect(loader).toContain('globalThis.loadPyodide=');
    expect(loader).not.toMatch(/export\{/);
    for (const p of PYODIDE_PATCHES) expect(p.file === 'pyodide.asm.mjs' ? glue : loader).toContain(p.replace);
  });

  it('pyodide version drift: a patch that no longer matches fails loudly, naming the patch and the checked version', () => {
    const patch: TextPatch = { name: 'demo-edit', file: 'pyodide.mjs', why: 'test', find: 'text from another version', replace: 'x' };
    let error: unknown;
    try {
      applyPatches('pyodide.mjs', 'a loader that changed', [patch], '999.0.0');
    } catch (e) {
      error = e;
    }
    expect(isBtreePluginsError(error, 'RuntimeCompatibilityError')).toBe(true);
    expect((error as Error).message).toContain('demo-edit');
    expect((error as Error).message).toContain(`pyodide ${PYODIDE_VERSION}`);
    expect((error as Error).message).toContain('pyodide@999.0.0');
  });

  it('a patch whose text occurs more often than checked also fails', () => {
    const patch: TextPatch = { name: 'twice', file: 'pyodide.mjs', why: 'test', find: 'ab', replace: 'x' };
    expect(() => applyPatches('pyodide.mjs', 'ab ab', [patch])).toThrow(/found it 2 time/);
  });
});
