/**
 * Every error the library throws is a BtreePluginsError subclass from src/errors.ts, so that a host
 * can tell ours apart (`isBtreePluginsError`) and read code, context and hint. Read from the sources:
 * a plain `Error`/`TypeError`/`RangeError` thrown, rejected or settled anywhere in host-side code
 * fails this test. Not host-side, and so not scanned: the guest sources (they run inside the
 * isolates and QuickJS, whose realms cannot see our classes) and the btree-compatible test host
 * (`src/testing/`, which throws btree's own plain errors as btree-contract.md records them).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';

const src = fileURLToPath(new URL('../src', import.meta.url));
/** Text `btree-plugins init` writes into an author's project (their test stubs throw), not host code. */
const AUTHOR_TEMPLATES = join(src, 'cli', 'templates.ts');
/** The web UI's browser app: it runs in the user's browser, where the library's error classes mean nothing. */
const BROWSER_APP = join(src, 'ui', 'app');
const PLAIN = /\b(?:throw|reject|settle)\b\s*\(?\s*new\s+(?:Type|Range|Syntax|Reference|Eval|URI|Aggregate)?Error\s*\(|Promise\.reject\(\s*new\s+(?:Type|Range)?Error\s*\(|Object\.assign\(\s*new\s+Error\s*\(/;

function hostSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join(src, 'testing') || path === BROWSER_APP ? [] : hostSources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && path !== AUTHOR_TEMPLATES ? [path] : [];
  });
}

describe('errors', () => {
  it('host-side code throws no plain Error, TypeError or RangeError', () => {
    const files = hostSources(src);
    expect(files.length).toBeGreaterThan(50);
    const plain = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${relative(src, file)}:${i + 1}`, line: line.trim() }))
        .filter(({ line }) => PLAIN.test(line) && !line.startsWith('*') && !line.startsWith('//')),
    );
    expect(plain).toEqual([]);
  });

  it('the scan sees a plain throw when there is one (the pattern can fail)', () => {
    for (const line of ["throw new Error('x');", 'throw new TypeError(`y`);', 'settle(new Error(m));', "return Promise.reject(new Error('z'));"]) expect(PLAIN.test(line), line).toBe(true);
    expect(PLAIN.test("throw new InvalidInputError('a', 'b');")).toBe(false);
  });

  it('every exported error class is a BtreePluginsError with a stable name and code', () => {
    const classes = Object.entries(errors).filter(([, v]) => typeof v === 'function' && /^[A-Z]\w*Error$/.test(v.name)) as Array<[string, new (...a: never[]) => Error]>;
    expect(classes.length).toBeGreaterThan(10);
    for (const [name, cls] of classes) {
      expect(cls === errors.BtreePluginsError || cls.prototype instanceof errors.BtreePluginsError, name).toBe(true);
    }
    const e = new errors.InternalError('x failed', 'y');
    expect(errors.isBtreePluginsError(e, 'InternalError')).toBe(true);
    expect(e.message).toBe('x failed: y. HINT: this is a bug or a broken install of @wayfarer-ai/btree-plugins; report it with this message');
    const c = new errors.ConfigurationError('Invalid configuration for Greet:n1:\n  - greeting: required');
    expect([c.name, c.code, c.message]).toEqual(['ConfigurationError', 'INVALID_CONFIGURATION', 'Invalid configuration for Greet:n1:\n  - greeting: required']);
  });
});
