/**
 * Red-team review of the sandbox (issue 4): attacks that test/sandbox/hazards.test.ts does not
 * already pin, each named after the hazard. The first ones broke the host before they were fixed
 * (see docs/security.md, "Reviewed attacks"); the others pin defences that held.
 * Every pool is disposed after its test and checked for leaked isolates (helpers.ts).
 */
import { describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';

import type { RunnableBundle, TickOutcome } from '../../src/sandbox/types.js';
import { bundleOf, evilNode as node, forTenant, trackedPool, type TestPool } from './helpers.js';


function run(pool: TestPool, bundle: RunnableBundle, blackboard: Record<string, unknown> = {}): Promise<TickOutcome> {
  return pool.tick(bundle, { props: {}, blackboard: blackboard as never });
}

async function expectOtherTenantUnharmed(pool: TestPool): Promise<void> {
  const fine = await node("ctx.blackboard.set('ok', true); return NodeStatus.SUCCESS;", '', 'Fine');
  expect(await run(pool, forTenant(fine, 'other-tenant'))).toMatchObject({ status: 'SUCCESS', writes: { ok: true } });
}

/** A rope: 2^26 characters that cost the guest a few hundred bytes until something flattens them. */
const ROPE = "let rope: any = 'x'; for (let i = 0; i < 26; i++) rope = rope + rope;";

describe('sandbox red team', () => {
  it('unhandled rejection with a hostile reason (looping stack/message getter, Proxy, toString): never read by the host, whose thread stays free', async () => {
    // isolated-vm copies the first unhandled rejection of a host call after its timeout has ended,
    // running the reason's getters: before the fix, each of these blocked the host thread for ever.
    const pool = trackedPool({ limits: { cpuTimeMs: 100, wallTimeMs: 1_000 } });
    const reasons = [
      "(() => { const e = new Error('x'); Object.defineProperty(e, 'stack', { get() { for (;;) {} } }); return e; })()",
      "(() => { const e = new Error('x'); Object.defineProperty(e, 'message', { get() { for (;;) {} } }); return e; })()",
      "new Proxy({}, { get() { for (;;) {} } })",
      "{ message: { toString() { for (;;) {} } } }",
    ];
    for (const [i, reason] of reasons.entries()) {
      const sync = await node(`void Promise.reject(${reason}); return NodeStatus.SUCCESS;`, '', `Sync${i}`);
      expect(await run(pool, sync)).toMatchObject({ status: 'SUCCESS' });
      // The same from a microtask, after a capability result came back (the `resume` call).
      const late = await node(`await a.ping(); Promise.resolve().then(() => { throw ${reason}; }); return NodeStatus.SUCCESS;`, '', `Late${i}`);
      expect(await pool.tick(late, { props: {}, blackboard: {} })).toMatchObject({ status: 'FAILURE', error: expect.stringContaining('"ping" is not available') });
    }
    await expectOtherTenantUnharmed(pool);
  });

  it('unhandled rejection or thrown error carrying a huge rope string: never copied to the host at full size', async () => {
    // Before the fix a 64-Mi-character error reached the host (one per tick, outside the isolate's memory limit).
    const pool = trackedPool({ limits: { cpuTimeMs: 1_000, wallTimeMs: 5_000 } });
    const bodies = [
      `${ROPE} void Promise.reject(rope); return NodeStatus.SUCCESS;`,
      `${ROPE} void Promise.reject(new Error(rope)); return NodeStatus.SUCCESS;`,
      `${ROPE} ctx.blackboard.set('k', { toJSON() { throw new Error(rope); } }); return NodeStatus.SUCCESS;`,
      `${ROPE} throw new Error(rope);`,
      `${ROPE} ctx.blackboard.set(rope, 1); return NodeStatus.SUCCESS;`,
    ];
    for (const body of bodies) {
      const outcome = await run(pool, await node(body));
      expect((outcome.error ?? '').length).toBeLessThan(20_000);
      expect(JSON.stringify(outcome.writes).length).toBeLessThan(20_000);
    }
    await expectOtherTenantUnharmed(pool);
  });

  it('uninterruptible built-ins on huge sparse arrays and array-likes (indexOf, sort, fill, join, flat, concat, Proxy, getter lengths): refused instead of hanging or crashing the host', async () => {
    // Before the fix each of these ran a C++ loop over 2^32 (or 2^53) indices that ignores the time
    // limit: isolated-vm gave up after 5 s and the process died (SIGSEGV), or fill() was a fatal V8 OOM.
    const pool = trackedPool({ limits: { cpuTimeMs: 100, wallTimeMs: 2_000 } });
    const probes = [
      'S().indexOf(2)', 'S().lastIndexOf(2)', 'S().includes(2)', 'S().sort()', 'S().reverse()', 'S().copyWithin(0, 1)', 'S().splice(0, 0, 1)',
      'S().fill(0)', 'S().join()', 'String(S())', 'S().toLocaleString()', 'S().every((x: any) => true)', 'S().some((x: any) => false)',
      'S().forEach((x: any) => x)', 'S().filter((x: any) => true)', 'S().map((x: any) => x)', 'S().reduce((x: any) => x)', 'S().slice(1)',
      'S().shift()', 'S().unshift(1)', 'S().toSorted()', 'S().toReversed()', 'S().toSpliced(0, 1)', 'S().with(0, 1)',
      '[S()].flat()', '[1].flatMap(() => S())', '[].concat(S())',
      'Array.prototype.indexOf.call(G(), 2)', 'Array.prototype.sort.call(G())', 'Array.prototype.forEach.call(Object.create(G()), (x: any) => x)',
      'Array.prototype.every.call(new Proxy(S(), {}), (x: any) => true)',
      'Array.prototype.indexOf.call({ get length() { return n++ ? 2 ** 40 : 0; } }, 1)',
      'Array.prototype.includes.call({ length: { valueOf: () => 2 ** 40 } }, 1)',
    ];
    const bundle = await node(`let n = 0;
      const S = () => { const arr: any[] = []; arr.length = 2 ** 32 - 1; arr[7] = 1; return arr; };
      const G = (): any => ({ length: 2 ** 53 - 1, 7: 1 });
      const out: string[] = [];
      for (const probe of [${probes.map((p) => `() => ${p}`).join(', ')}]) {
        try { probe(); out.push('ran'); } catch (e: any) { out.push(e.name); }
      }
      ctx.blackboard.set('out', out);
      ctx.blackboard.set('normal', [[1, [2, [3, [4]]]].flat(Infinity), [1, 2].flatMap((x) => [x, x * 10]), [1].concat([2], 3 as any), Array.prototype.map.call(new Uint8Array(2), (x: any) => x + 1), Array.prototype.slice.call('ab'), [3, 1, 2].sort().indexOf(3), [, 1].flat()]);
      return NodeStatus.SUCCESS;`);
    const outcome = await run(pool, bundle);
    expect(outcome.status).toBe('SUCCESS');
    const out = outcome.writes.out as string[];
    expect(out).toHaveLength(probes.length);
    out.forEach((r, i) => expect([probes[i], r]).toEqual([probes[i], expect.stringMatching(/^(RangeError|TypeError)$/)]));
    expect(outcome.writes.normal).toEqual([[1, 2, 3, 4], [1, 10, 2, 20], [1, 2, 3], [1, 1], ['a', 'b'], 2, [1]]);
    await expectOtherTenantUnharmed(pool);
  });

  it('console lines forging host log lines (newlines, terminal escapes): one guest line stays one escaped host line', async () => {
    const lines: Array<[string, Record<string, unknown>]> = [];
    const record = (message: string, meta: Record<string, unknown>): void => { lines.push([message, meta]); };
    const pool = trackedPool({ logger: { debug: record, info: record, warn: record, error: record } });
    const bundle = await node("console.log('ok\\n[ERROR] tenant=globex node=Billing: card 4242 charged\\u001b[2K\\r'); return NodeStatus.SUCCESS;");
    expect((await run(pool, bundle)).status).toBe('SUCCESS');
    expect(lines).toHaveLength(1);
    const [message, meta] = lines[0]!;
    expect(message).toBe('ok\\u000a[ERROR] tenant=globex node=Billing: card 4242 charged\\u001b[2K\\u000d');
    expect(meta).toMatchObject({ tenantId: 'acme', node: 'Evil' });
  });

  it('capability with a huge name: refused in the guest, never shipped to the host or into a breach message', async () => {
    const pool = trackedPool({ limits: { capabilityArgBytes: 1_000 } });
    const bundle = await node(`let err = '';
      try { await a['n'.repeat(1_000_000)]('x'.repeat(5_000)); } catch (e: any) { err = e.message; }
      ctx.blackboard.set('err', err); return NodeStatus.SUCCESS;`);
    const outcome = await run(pool, bundle);
    expect(outcome.status).toBe('SUCCESS');
    expect(outcome.writes.err).toBe('capability names are at most 64 characters (got 1000000)');
  });

  it('inspect of a bundle that throws a hostile value: the error comes back as bounded text, the host thread stays free', async () => {
    const pool = trackedPool({ limits: { cpuTimeMs: 100, wallTimeMs: 1_000 } });
    const bundle = await bundleOf(`import { ActionNode } from '@wayfarer-ai/btree';
      export default class Meta extends ActionNode {
        static get metadata(): any { const e = new Error('no metadata for you'); Object.defineProperty(e, 'stack', { get() { for (;;) {} } }); throw e; }
      }`, 'Meta');
    const err = await pool.inspect(bundle).catch((e: unknown) => e);
    expect(isBtreePluginsError(err, 'LimitExceededError')).toBe(true);
    expect(String((err as Error).message)).toMatch(/Meta@1\.0\.0 exceeded its 1000 ms (CPU )?time limit/); // the setup budget
    const thrower = await bundleOf(`import { ActionNode } from '@wayfarer-ai/btree';
      export default class Thrower extends ActionNode { static get metadata(): any { throw new Error('broken metadata'); } }`, 'Thrower');
    const err2 = await pool.inspect(thrower).catch((e: unknown) => e);
    expect(isBtreePluginsError(err2, 'InvalidInputError')).toBe(true);
    expect(String((err2 as Error).message)).toMatch(/Thrower@1\.0\.0 threw: Error: broken metadata/);
    await expectOtherTenantUnharmed(pool);
  });

  it('blackboard internals reached through ctx.blackboard.constructor: none are exposed', async () => {
    const pool = trackedPool();
    const bundle = await node(`const C: any = ctx.blackboard.constructor;
      ctx.blackboard.set('seen', Object.getOwnPropertyNames(C).filter((k) => typeof C[k] === 'function'));
      return NodeStatus.SUCCESS;`);
    expect((await run(pool, bundle)).writes.seen).toEqual([]);
  });

  it('two ticks of one tenant interleaving capability results: each tick gets only its own results and capability context', async () => {
    const seen: string[] = [];
    const pool = trackedPool({
      capabilities: {
        echo: async (ctx, value, ms) => {
          await new Promise((r) => setTimeout(r, Number(ms)));
          seen.push(`${ctx.node}:${String(value)}`);
          return `${ctx.node} got ${String(value)}`;
        },
      },
    });
    const mk = (name: string, first: number, second: number): Promise<RunnableBundle> =>
      node(`const r1 = await a.echo('${name}-1', ${first}); const r2 = await a.echo('${name}-2', ${second});
        ctx.blackboard.set('r', [r1, r2]); return NodeStatus.SUCCESS;`, '', name);
    const [slow, quick] = await Promise.all([mk('Slow', 30, 1), mk('Quick', 1, 30)]);
    const [s, q] = await Promise.all([run(pool, slow), run(pool, quick)]);
    expect(s.writes.r).toEqual(['Slow got Slow-1', 'Slow got Slow-2']);
    expect(q.writes.r).toEqual(['Quick got Quick-1', 'Quick got Quick-2']);
    expect(seen.sort()).toEqual(['Quick:Quick-1', 'Quick:Quick-2', 'Slow:Slow-1', 'Slow:Slow-2']);
    expect((await pool.stats()).isolatesCreated).toBe(1);
  });

  it('FinalizationRegistry/WeakRef callbacks after the tick: they never run tenant code later (no capability call, no stall)', async () => {
    let calls = 0;
    // The tick allocates a lot to provoke collection: give it CPU time to spare on a busy machine
    // (what is pinned is that finalizers never run tenant code later, not the CPU limit).
    const pool = trackedPool({ limits: { cpuTimeMs: 2_000 }, capabilities: { ping: () => { calls++; } } });
    const bundle = await node(`const fr = new FinalizationRegistry(() => { void a.ping(); for (;;) {} });
      for (let i = 0; i < 2000; i++) fr.register({ big: new Array(100).fill(i) }, i);
      let junk: any[] = []; for (let i = 0; i < 200; i++) junk.push(new Array(10_000).fill(i)); junk = [];
      return NodeStatus.SUCCESS;`);
    expect((await run(pool, bundle)).status).toBe('SUCCESS');
    await new Promise((r) => setTimeout(r, 50));
    expect((await run(pool, bundle)).status).toBe('SUCCESS');
    expect(calls).toBe(0);
  });

  it('non-JSON values smuggled out (-0, NaN, Infinity, sparse arrays, lone surrogates, huge numbers, Date, Map, BigInt): only JSON data arrives', async () => {
    const pool = trackedPool();
    const bundle = await node(`const sparse: any[] = [1]; sparse[3] = 4;
      ctx.blackboard.set('v', { negZero: -0, nan: NaN, inf: -Infinity, sparse, lone: '\\ud800x', big: 1e308, date: new Date(0), map: new Map([[1, 2]]), undef: undefined });
      return NodeStatus.SUCCESS;`);
    const outcome = await run(pool, bundle);
    expect(outcome.status).toBe('SUCCESS');
    const v = outcome.writes.v as Record<string, unknown>;
    expect(v).toEqual({ negZero: 0, nan: null, inf: null, sparse: [1, null, null, 4], lone: '\ud800x', big: 1e308, date: '1970-01-01T00:00:00.000Z', map: {} });
    expect(Object.is(v.negZero, -0)).toBe(false);
    const bigint = await node("ctx.blackboard.set('b', 1n); return NodeStatus.SUCCESS;", '', 'Big');
    expect(await run(pool, bigint)).toMatchObject({ status: 'FAILURE', error: expect.stringMatching(/value at blackboard key "b" is not JSON-serializable/) });
  });

  it('realm surface: no Atomics (Atomics.wait), SharedArrayBuffer, WebAssembly, timers, queueMicrotask or performance', async () => {
    const pool = trackedPool();
    const bundle = await node(`const g: any = globalThis;
      ctx.blackboard.set('r', [g.Atomics, g.SharedArrayBuffer, g.WebAssembly, g.setTimeout, g.setInterval, g.queueMicrotask, g.performance, g.process].map((x) => typeof x));
      return NodeStatus.SUCCESS;`);
    expect((await run(pool, bundle)).writes.r).toEqual(Array(8).fill('undefined'));
  });
});
