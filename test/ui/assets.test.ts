/**
 * `loadUiAssets()` from source: esbuild bundles the app in memory, once per process; the files
 * carry their type and sha256. (From dist/: test/package/exports.test.ts.)
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';
import { loadUiAssets, locateUiDir } from '../../src/ui/assets.js';

describe('loadUiAssets from source', () => {
  it('bundles app.js (an ES module) and app.css, with their types and sha256, once per process', async () => {
    const first = loadUiAssets();
    expect(loadUiAssets()).toBe(first);
    const assets = await first;
    expect([...assets.keys()].sort()).toEqual(['app.css', 'app.js']);
    const js = assets.get('app.js')!;
    const css = assets.get('app.css')!;
    expect(js.contentType).toBe('text/javascript; charset=utf-8');
    expect(css.contentType).toBe('text/css; charset=utf-8');
    for (const file of [js, css]) expect(file.sha256).toBe(createHash('sha256').update(file.body).digest('hex'));
    // The entry's code is in it (not a stub), and the stylesheet's rules.
    expect(js.body.toString()).toContain('btree-plugins-api');
    expect(css.body.toString()).toContain(':focus-visible');
    expect(await loadUiAssets()).toBe(assets);
  });

  it('finds dist/ui next to the chunk or one folder up, and says what to do when it is missing', () => {
    const root = mkdtempSync(join(tmpdir(), 'ui-locate-'));
    try {
      mkdirSync(join(root, 'ui'));
      writeFileSync(join(root, 'ui', 'app.js'), '');
      mkdirSync(join(root, 'sub'));
      expect(locateUiDir(pathToFileURL(join(root, 'chunk.js')).href)).toBe(join(root, 'ui') + '/');
      expect(locateUiDir(pathToFileURL(join(root, 'sub', 'entry.js')).href)).toBe(join(root, 'ui') + '/');
      let error: unknown;
      try {
        locateUiDir(pathToFileURL(join(tmpdir(), 'nowhere', 'x', 'chunk.js')).href);
      } catch (e) {
        error = e;
      }
      expect(isBtreePluginsError(error) && error.code).toBe('INTERNAL');
      expect((error as Error).message).toMatch(/ui\/app\.js was not found next to .*chunk\.js.*HINT: .*npm run build/s);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
