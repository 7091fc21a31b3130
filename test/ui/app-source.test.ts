/**
 * Rules of the browser app that a reader should not have to re-check by hand, pinned on its
 * sources and on the bundle the UI serves: tenant text never reaches an HTML parser (no
 * `innerHTML` and friends anywhere, elements built in one module), and nothing needs what the
 * page's CSP forbids (no `eval`, no inline style, no inline handlers).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadUiAssets } from '../../src/ui/assets.js';

const appDir = join(import.meta.dirname, '..', '..', 'src', 'ui', 'app');
const sources = readdirSync(appDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: relative(appDir, join(appDir, f)), code: withoutComments(readFileSync(join(appDir, f), 'utf8')) }));

/** The code without its comments (which may name what the code must not do). */
function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Ways text becomes markup or code, or style that the CSP blocks. */
const FORBIDDEN: ReadonlyArray<readonly [string, RegExp]> = [
  ['innerHTML', /\binnerHTML\b/],
  ['outerHTML', /\bouterHTML\b/],
  ['insertAdjacentHTML', /\binsertAdjacentHTML\b/],
  ['document.write', /\bdocument\.write(ln)?\b/],
  ['createContextualFragment', /\bcreateContextualFragment\b/],
  ['DOMParser', /\bDOMParser\b/],
  ['srcdoc', /\bsrcdoc\b/],
  ['eval', /\beval\s*\(/],
  ['new Function', /\bnew\s+Function\b/],
  ['string timers', /\bset(Timeout|Interval)\s*\(\s*['"`]/],
  ['inline style', /\.style\b|\bsetAttribute\(\s*['"]style['"]|\bcssText\b/],
  ['inline handlers', /\bsetAttribute\(\s*['"]on|\.on[a-z]+\s*=/],
];

describe('the browser app', () => {
  it('has its sources where this test looks', () => {
    expect(sources.map((s) => s.file)).toEqual(expect.arrayContaining(['main.ts', 'dom.ts', 'api.ts', 'router.ts', 'code-view.ts', 'dialog.ts', 'pages/upload.ts', 'pages/version.ts']));
  });

  it('never turns text into markup or code, and uses no inline style', () => {
    const found = sources.flatMap(({ file, code }) => FORBIDDEN.filter(([, pattern]) => pattern.test(code)).map(([what]) => `${file}: ${what}`));
    expect(found).toEqual([]);
  });

  it('builds elements in one module (dom.ts), which turns every string into a text node', () => {
    const creators = sources.filter(({ code }) => /\bdocument\.createElement(NS)?\s*\(/.test(code)).map((s) => s.file);
    expect(creators).toEqual(['dom.ts']);
    const dom = sources.find((s) => s.file === 'dom.ts')!.code;
    expect(dom).toMatch(/document\.createTextNode\(String\(child\)\)/);
  });

  it('serves a bundle with none of it either (the app has no dependencies that could bring it in)', async () => {
    const assets = await loadUiAssets();
    const js = assets.get('app.js')!.body.toString('utf8');
    for (const [what, pattern] of FORBIDDEN.filter(([what]) => what !== 'inline handlers' && what !== 'inline style')) expect(pattern.test(js), what).toBe(false);
    expect(js).not.toMatch(/\bfrom\s*["']node:|\brequire\(/);
    expect(assets.get('app.css')!.body.toString('utf8')).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//);
  });
});
