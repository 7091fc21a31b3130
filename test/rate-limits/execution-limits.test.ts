/**
 * The host's execution limits (src/rate-limits/execution-limits.ts) over the real in-process
 * limiter, with an injected clock: scopes (tenant, node and interpreter entries, host defaults),
 * run-time changes, the concurrency queue, the daily quota across a UTC midnight, and config errors.
 */
import { describe, expect, it } from 'vitest';
import { isBtreePluginsError, RateLimitedError } from '../../src/errors.js';
import { ExecutionLimits, type RunPermit } from '../../src/rate-limits/execution-limits.js';
import type { TenantRateLimits } from '../../src/rate-limits/types.js';

function clockAt(start: number) {
  const clock = { now: start, fn: () => clock.now };
  return clock;
}

/** Admits or answers the refusal. */
async function tryAdmit(limits: ExecutionLimits, tenant: string, kind: 'node' | 'interpreter', name: string, signal?: AbortSignal): Promise<RunPermit | RateLimitedError> {
  try {
    return await limits.admit(tenant, kind, name, signal);
  } catch (e) {
    if (e instanceof RateLimitedError) return e;
    throw e;
  }
}

const refused = (x: RunPermit | RateLimitedError): x is RateLimitedError => x instanceof RateLimitedError;

describe('execution limits', () => {
  it('rate: burst runs at once, the next refused with a RateLimitedError naming tenant, node, limit and the wait', async () => {
    const clock = clockAt(Date.UTC(2026, 0, 1));
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { runsPerSecond: 5, burst: 2 } } }, clock: clock.fn });
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'SendSlackMessage'))).toBe(false);
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'CreateJiraTicket'))).toBe(false);
    const e = await tryAdmit(limits, 'acme', 'node', 'SendSlackMessage');
    expect(e).toBeInstanceOf(RateLimitedError);
    expect(e).toMatchObject({ name: 'RateLimitedError', code: 'RATE_LIMITED', limit: 'runsPerSecond', tenantId: 'acme', node: 'SendSlackMessage', retryAfterMs: 200 });
    expect(isBtreePluginsError(e, 'RateLimitedError')).toBe(true);
    expect((e as Error).message).toBe(
      'run refused by a rate limit [tenant=acme, node=SendSlackMessage, limit=runsPerSecond, scope=tenant]: over 5 runs per second (burst 2); retry after 200 ms. HINT: retry later, or raise the limit in the host\'s `rateLimits` for this tenant',
    );
    clock.now += 200;
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'SendSlackMessage'))).toBe(false);
  });

  it('a tenant without limits is never refused, and admitting it answers synchronously', () => {
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { runsPerSecond: 1 } } } });
    for (let i = 0; i < 100; i++) expect(limits.admit('globex', 'node', 'X')).not.toBeInstanceOf(Promise);
  });

  it('node and interpreter entries have buckets of their own; fields they omit come from the tenant', async () => {
    const clock = clockAt(Date.UTC(2026, 0, 1));
    const acme: TenantRateLimits = { runsPerSecond: 100, burst: 1, dailyQuota: 3, nodes: { SendSlackMessage: { burst: 1, runsPerSecond: 1 } }, interpreters: { python: { dailyQuota: 1 } } };
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: acme } }, clock: clock.fn });
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'SendSlackMessage'))).toBe(false);
    // The tenant's bucket is untouched by the node with an entry.
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'Other'))).toBe(false);
    clock.now += 10;
    const slack = await tryAdmit(limits, 'acme', 'node', 'SendSlackMessage');
    expect(slack).toMatchObject({ limit: 'runsPerSecond', retryAfterMs: 990 });
    expect((slack as Error).message).toContain('scope=node/SendSlackMessage');
    // The python entry takes the tenant's rate (100/s) but has its own quota of 1.
    expect(refused(await tryAdmit(limits, 'acme', 'interpreter', 'python'))).toBe(false);
    clock.now += 10;
    expect(await tryAdmit(limits, 'acme', 'interpreter', 'python')).toMatchObject({ limit: 'dailyQuota', node: 'PythonInterpreter' });
    // JavaScript has no entry: it shares the tenant's scope.
    expect(limits.scopeOf('acme', 'interpreter', 'javascript')?.key).toBe('acme');
  });

  it('host defaults apply to every tenant, field by field under the tenant\'s own; setDefaultRateLimits changes them at run time', async () => {
    const limits = new ExecutionLimits({ defaults: { runsPerSecond: 1, burst: 1, concurrent: 4 }, tenants: { acme: { rateLimits: { burst: 3 } } } });
    expect(limits.scopeOf('acme', 'node', 'X')).toMatchObject({ rate: { runsPerSecond: 1, burst: 3 }, concurrent: 4 });
    expect(limits.scopeOf('globex', 'node', 'X')).toMatchObject({ rate: { runsPerSecond: 1, burst: 1 }, concurrent: 4 });
    limits.setDefaults({ runsPerSecond: 2, dailyQuota: 10 });
    expect(limits.scopeOf('globex', 'node', 'X')).toMatchObject({ rate: { runsPerSecond: 2, burst: 2 }, concurrent: undefined, dailyQuota: 10 });
    expect(limits.scopeOf('acme', 'node', 'X')).toMatchObject({ rate: { runsPerSecond: 2, burst: 3 }, dailyQuota: 10 });
    // Defaults under which a tenant's own settings no longer make sense are refused, and nothing changes.
    expect(() => limits.setDefaults({ dailyQuota: 10 })).toThrow('[at=tenants.acme.rateLimits.burst]: `burst` is set but `runsPerSecond` is not');
    expect(limits.defaults).toEqual({ runsPerSecond: 2, dailyQuota: 10 });
  });

  it('setRateLimits changes one tenant from the next run on; undefined goes back to the tenants option', async () => {
    const clock = clockAt(Date.UTC(2026, 0, 1));
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { runsPerSecond: 1, burst: 1 } } }, clock: clock.fn });
    await limits.admit('acme', 'node', 'X');
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(true);
    limits.set('acme', { dailyQuota: 1000 });
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(false);
    limits.set('acme', undefined);
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(true);
  });

  it('a tenants lookup function keeps working: read per tenant, recompiled when it returns another object', async () => {
    const clock = clockAt(Date.UTC(2026, 0, 1));
    let acme: TenantRateLimits = { runsPerSecond: 1, burst: 1 };
    const limits = new ExecutionLimits({ tenants: (id) => (id === 'acme' ? { rateLimits: acme } : undefined), clock: clock.fn });
    await limits.admit('acme', 'node', 'X');
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(true);
    acme = { runsPerSecond: 1, burst: 5 };
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(false);
    expect(refused(await tryAdmit(limits, 'globex', 'node', 'X'))).toBe(false);
  });

  it('daily quota resets at 00:00 UTC: refused runs wait exactly until midnight, the next day admits again', async () => {
    const clock = clockAt(Date.UTC(2026, 2, 31, 23, 59, 59, 500));
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { dailyQuota: 2 } } }, clock: clock.fn });
    await limits.admit('acme', 'node', 'X');
    await limits.admit('acme', 'node', 'Y');
    const e = await tryAdmit(limits, 'acme', 'node', 'X');
    expect(e).toMatchObject({ limit: 'dailyQuota', retryAfterMs: 500 });
    expect((e as Error).message).toContain('the quota resets at 00:00 UTC');
    clock.now = Date.UTC(2026, 3, 1);
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(false);
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(false);
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(true);
  });

  it('a run refused by its rate uses up none of the day\'s quota', async () => {
    const clock = clockAt(Date.UTC(2026, 0, 1));
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { runsPerSecond: 1, burst: 1, dailyQuota: 2 } } }, clock: clock.fn });
    await limits.admit('acme', 'node', 'X');
    for (let i = 0; i < 5; i++) expect(await tryAdmit(limits, 'acme', 'node', 'X')).toMatchObject({ limit: 'runsPerSecond' });
    clock.now += 1000;
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(false);
  });
});

describe('concurrency', () => {
  it('no queue: the run after `concurrent` in progress is refused at once; a released slot admits the next', async () => {
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { concurrent: 2 } } } });
    const a = await limits.admit('acme', 'node', 'X');
    await limits.admit('acme', 'node', 'X');
    const e = await tryAdmit(limits, 'acme', 'node', 'X');
    expect(e).toMatchObject({ limit: 'concurrent', tenantId: 'acme' });
    expect((e as Error).message).toContain('2 runs in progress and 0 waiting');
    a.release();
    a.release(); // a second release of one permit gives nothing back
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(false);
    expect(refused(await tryAdmit(limits, 'acme', 'node', 'X'))).toBe(true);
  });

  it('queue bound honoured: 20 callers at once with 3 slots and a queue of 5 — 3 run, 5 wait (first come, first served), 12 are refused at once', async () => {
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { concurrent: 3, queue: 5, queueTimeoutMs: 60_000 } } } });
    const order: number[] = [];
    const calls = Array.from({ length: 20 }, (_, i) =>
      (async () => limits.admit('acme', 'node', 'X'))().then(
        (p) => {
          order.push(i);
          return p;
        },
        (e: unknown) => e as RateLimitedError,
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([0, 1, 2]);
    expect(limits.slotsOf('acme')).toEqual({ inFlight: 3, waiting: 5 });
    const settled = await Promise.race([Promise.all(calls.slice(8)), new Promise((r) => setTimeout(() => r('pending'), 100))]);
    expect((settled as RateLimitedError[]).every((e) => e instanceof RateLimitedError && e.limit === 'concurrent')).toBe(true);
    // Each release admits the longest waiter, never more than 3 at once.
    const permits = (await Promise.all(calls.slice(0, 3))) as RunPermit[];
    for (const p of permits) p.release();
    await Promise.all(calls.slice(3, 6));
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(limits.slotsOf('acme')).toEqual({ inFlight: 3, waiting: 2 });
    for (const p of (await Promise.all(calls.slice(3, 6))) as RunPermit[]) p.release();
    for (const p of (await Promise.all(calls.slice(6, 8))) as RunPermit[]) p.release();
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(limits.slotsOf('acme')).toEqual({ inFlight: 0, waiting: 0 });
  });

  it('a queued run that waits past queueTimeoutMs is refused and leaves the queue', async () => {
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { concurrent: 1, queue: 1, queueTimeoutMs: 30 } } } });
    const held = await limits.admit('acme', 'node', 'X');
    const e = await tryAdmit(limits, 'acme', 'node', 'X');
    expect(e).toMatchObject({ limit: 'concurrent' });
    expect((e as Error).message).toContain('no slot freed up within 30 ms');
    expect(limits.slotsOf('acme')).toEqual({ inFlight: 1, waiting: 0 });
    held.release();
  });

  it('aborting a queued run (activity cancelled) rejects it with the abort reason and frees its queue place', async () => {
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { concurrent: 1, queue: 1 } } } });
    const held = await limits.admit('acme', 'node', 'X');
    const controller = new AbortController();
    const waiting = tryAdmit(limits, 'acme', 'node', 'X', controller.signal);
    controller.abort(new Error('cancelled by the workflow'));
    await expect(waiting).rejects.toThrow('cancelled by the workflow');
    expect(limits.slotsOf('acme')).toEqual({ inFlight: 1, waiting: 0 });
    held.release();
    expect(limits.slotsOf('acme')).toEqual({ inFlight: 0, waiting: 0 });
  });

  it('a run refused by its rate gives its concurrency slot back', async () => {
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { concurrent: 1, runsPerSecond: 1, burst: 1 } } }, clock: () => 1_000_000 });
    (await limits.admit('acme', 'node', 'X')).release();
    expect(await tryAdmit(limits, 'acme', 'node', 'X')).toMatchObject({ limit: 'runsPerSecond' });
    expect(limits.slotsOf('acme')).toEqual({ inFlight: 0, waiting: 0 });
  });
});

describe('config errors', () => {
  const bad = (rateLimits: unknown) => () => new ExecutionLimits({ tenants: { acme: { rateLimits: rateLimits as TenantRateLimits } } });
  it.each([
    [{ runsPerSecond: -1 }, 'invalid rate limits [at=tenants.acme.rateLimits.runsPerSecond]: must be a number above 0, got -1. HINT: write e.g. `runsPerSecond: 10` (or 0.5 for one run every 2 s), or leave it out for no limit'],
    [{ runsPerSecond: 5, burst: 1.5 }, '[at=tenants.acme.rateLimits.burst]: must be a whole number of at least 1, got 1.5'],
    [{ runsPersecond: 5 }, '[at=tenants.acme.rateLimits.runsPersecond]: unknown setting "runsPersecond". HINT: the settings are runsPerSecond, burst, concurrent, queue, queueTimeoutMs, dailyQuota, nodes, interpreters; did you mean runsPerSecond?'],
    [{ burst: 5 }, '[at=tenants.acme.rateLimits.burst]: `burst` is set but `runsPerSecond` is not'],
    [{ queue: 5 }, '[at=tenants.acme.rateLimits.queue]: `queue` is set but `concurrent` is not'],
    [{ concurrent: 1, queueTimeoutMs: 5 }, '[at=tenants.acme.rateLimits.queueTimeoutMs]: `queueTimeoutMs` is set but there is no `queue`'],
    [{ dailyQuota: '100' }, '[at=tenants.acme.rateLimits.dailyQuota]: must be a whole number of at least 0, got "100"'],
    [{ nodes: { SendSlackMessage: { concurrent: 0 } } }, '[at=tenants.acme.rateLimits.nodes.SendSlackMessage.concurrent]: must be a whole number of at least 1, got 0'],
    [{ nodes: { SendSlackMessage: { nodes: {} } } }, '[at=tenants.acme.rateLimits.nodes.SendSlackMessage.nodes]: unknown setting "nodes"'],
    [{ interpreters: { ruby: {} } }, '[at=tenants.acme.rateLimits.interpreters.ruby]: unknown setting "ruby"'],
    [[], '[at=tenants.acme.rateLimits]: must be an object, got []'],
  ])('%j is refused when the host is made, naming the field and the fix', (limits, message) => {
    expect(bad(limits)).toThrow(message);
  });

  it('a bad setting from a tenants lookup fails that tenant\'s first run with the field named; other tenants run', () => {
    const limits = new ExecutionLimits({ tenants: (id) => (id === 'acme' ? { rateLimits: { runsPerSecond: 0 } } : undefined) });
    expect(() => limits.admit('acme', 'node', 'X')).toThrow('[at=tenants.acme.rateLimits.runsPerSecond]: must be a number above 0, got 0');
    expect(() => limits.admit('globex', 'node', 'X')).not.toThrow();
  });

  it('setRateLimits with a bad setting throws and keeps the limits in force', async () => {
    const limits = new ExecutionLimits({ tenants: { acme: { rateLimits: { concurrent: 1 } } } });
    expect(() => limits.set('acme', { concurrent: 1, queue: -1 })).toThrow('[at=setRateLimits("acme").queue]: must be a whole number of at least 0, got -1');
    expect(() => limits.set('acme', { burst: 2 })).toThrow('`burst` is set but `runsPerSecond` is not');
    expect(limits.scopeOf('acme', 'node', 'X')).toMatchObject({ concurrent: 1 });
  });

  it('a rateLimiter that is not one is refused with the choices', () => {
    expect(() => new ExecutionLimits({ limiter: {} as never })).toThrow('`rateLimiter` is not a RateLimiter');
  });
});
