import { describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';
import { CompiledBundleCache, ENTRY_OVERHEAD_BYTES } from '../../src/sandbox/compiled-bundle-cache.js';
import { DEFAULT_LIMITS, limitMessage, resolveLimits } from '../../src/sandbox/limits.js';
import { parseGuestJson } from '../../src/sandbox/safe-json.js';
import { cleanSourcePath } from '../../src/sandbox/stack-trace.js';
import { rawBundle } from './helpers.js';

describe('resolveLimits', () => {
  it('layers tenant over host over defaults', () => {
    expect(resolveLimits({ cpuTimeMs: 50 }, { cpuTimeMs: 20, logLines: 5 })).toEqual({ ...DEFAULT_LIMITS, cpuTimeMs: 20, logLines: 5 });
  });
  it('explains unknown, non-positive and too-small limits', () => {
    expect(() => resolveLimits({ cpuTime: 5 } as never)).toThrow(/unknown limit "cpuTime".*HINT: known limits: wallTimeMs/);
    expect(() => resolveLimits({ wallTimeMs: 0 })).toThrow(/wallTimeMs must be a positive number, got 0/);
    expect(() => resolveLimits({ memoryMb: 4 })).toThrow(/memoryMb must be at least 8/);
  });
  it('words breaches like the issue says', () => {
    const who = { tenantId: 'acme', node: 'SendSlackMessage', version: '1.0.0' };
    expect(limitMessage(who, 'wallTimeMs', { ...DEFAULT_LIMITS, wallTimeMs: 50 })).toMatch(
      /^SendSlackMessage@1\.0\.0 exceeded its 50 ms time limit\. HINT: .*limits\.wallTimeMs for tenant acme$/,
    );
  });
});

describe('CompiledBundleCache', () => {
  it('is bounded by count', () => {
    const cache = new CompiledBundleCache({ maxEntries: 2 });
    for (const n of [1, 2, 3]) cache.get(rawBundle(`export default ${n};`));
    expect(cache.stats().entries).toBe(2);
  });
  it('is bounded by bytes', () => {
    const cache = new CompiledBundleCache({ maxBytes: 25_000 });
    for (const n of [1, 2, 3]) cache.get(rawBundle(`export default ${n}; // ${'x'.repeat(3_000)}`));
    expect(cache.stats().entries).toBe(2);
    expect(cache.stats().bytes).toBeLessThanOrEqual(25_000);
  });
  it('is sized by bytes only by default, so more active tenants than a count bound still hit it (cache thrash)', () => {
    const cache = new CompiledBundleCache();
    const bundles = Array.from({ length: 2_000 }, (_, n) => rawBundle(`export default ${n}; // ${'x'.repeat(1_000)}`));
    const first = bundles.map((b) => cache.get(b));
    expect(cache.stats().entries).toBe(2_000);
    // A second round finds every entry of the first (none was dropped and rebuilt).
    expect(bundles.every((b, i) => cache.get(b) === first[i])).toBe(true);
    expect(cache.stats().bytes).toBeGreaterThan(2_000 * ENTRY_OVERHEAD_BYTES);
  });
  it('checks integrity on first sight', () => {
    const cache = new CompiledBundleCache();
    const b = rawBundle('export default 1;');
    expect(() => cache.get({ ...b, code: 'export default 2;' })).toThrow(expect.objectContaining({ name: 'IntegrityError' }));
    expect(isBtreePluginsError((() => { try { cache.get({ ...b, sha256: '0'.repeat(64) }); } catch (e) { return e; } })(), 'IntegrityError')).toBe(true);
  });
});

describe('guest JSON and stack paths', () => {
  it('drops __proto__ keys at every depth, escaped or not', () => {
    const v = parseGuestJson('{"a":{"__proto__":{"x":1}},"\\u005f_proto__":{"y":1},"b":[{"__proto__":2}]}') as Record<string, unknown>;
    expect(v).toEqual({ a: {}, b: [{}] });
    expect(Object.getPrototypeOf(v.a)).toBe(Object.prototype);
  });
  it('never prints absolute or parent paths from a source map', () => {
    expect(cleanSourcePath('/home/builder/tmp/x/index.ts')).toBe('index.ts');
    expect(cleanSourcePath('../../../tmp/build/src/util.ts')).toBe('tmp/build/src/util.ts');
    expect(cleanSourcePath('file:///C:/work/index.ts')).toBe('index.ts');
    expect(cleanSourcePath('src/util.ts')).toBe('src/util.ts');
  });
});
