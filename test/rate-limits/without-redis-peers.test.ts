/**
 * `ioredis` and `rate-limiter-flexible` are optional peers of `./rate-limits/redis`: a host that uses
 * the Redis limiter without them gets an error naming the package to install, on the first run that
 * needs the limiter — and the run's concurrency slot back. The absence is real: a child process whose
 * module resolution cannot find the packages (Node's own ERR_MODULE_NOT_FOUND), through the
 * library's lazy import.
 */
import { describe, expect, it } from 'vitest';
import { runWithoutPackages } from '../setup/without-packages.js';

const runWithout = (...hidden: string[]) =>
  runWithoutPackages<{ imports: Record<string, string>; take: unknown; admits: unknown[] }>(hidden, 'test/rate-limits/fixtures/without-redis-peers-child.ts');

describe('the Redis rate limiter without its optional peers', () => {
  it('without rate-limiter-flexible: every take and admission fails with MissingDependencyError naming it, and no slot is kept', async () => {
    const r = await runWithout('rate-limiter-flexible', 'ioredis');
    expect(r.imports).toEqual({ 'rate-limiter-flexible': 'ERR_MODULE_NOT_FOUND', ioredis: 'ERR_MODULE_NOT_FOUND' });
    const missing = { name: 'MissingDependencyError', message: expect.stringContaining('npm install rate-limiter-flexible') };
    expect(r.take).toEqual(missing);
    // Both admissions fail the same way: a concurrency refusal on the second would mean the first kept its slot.
    expect(r.admits).toEqual([missing, missing]);
    expect((r.take as { message: string }).message).toContain('RedisRateLimiter');
  }, 90_000);

  it('with rate-limiter-flexible but without ioredis (a `url` given): the error names ioredis', async () => {
    const r = await runWithout('ioredis');
    expect(r.imports).toEqual({ 'rate-limiter-flexible': 'found', ioredis: 'ERR_MODULE_NOT_FOUND' });
    const missing = { name: 'MissingDependencyError', message: expect.stringContaining('npm install ioredis') };
    expect(r.take).toEqual(missing);
    expect(r.admits).toEqual([missing, missing]);
  }, 90_000);
});
