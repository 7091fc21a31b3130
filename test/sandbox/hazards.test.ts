/**
 * One test per hazard: the attack first, then what the sandbox guarantees.
 * Every pool is disposed after its test and checked for leaked isolates (helpers.ts).
 */
import { types } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';

import type { RunnableBundle, TickOutcome } from '../../src/sandbox/types.js';
import { bundleOf, evilNode as node, forTenant, rawBundle, trackedPool, type TestPool } from './helpers.js';


const OK = `import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
export default class Fine extends ActionNode { async executeTick(ctx: any) { ctx.blackboard.set('ok', true); return NodeStatus.SUCCESS; } }`;

/** After a breach: the host carries on, another tenant's tick works, and the breaching tenant gets a fresh isolate. */
async function expectOthersUnharmed(pool: TestPool, breaching: RunnableBundle): Promise<void> {
  const fine = await bundleOf(OK, 'Fine');
  expect(await pool.tick(forTenant(fine, 'other-tenant'), { props: {}, blackboard: {} })).toMatchObject({ status: 'SUCCESS', writes: { ok: true } });
  expect(await pool.tick(forTenant(fine, breaching.tenantId), { props: {}, blackboard: {} })).toMatchObject({ status: 'SUCCESS' });
}

function run(pool: TestPool, bundle: RunnableBundle, blackboard: Record<string, unknown> = {}): Promise<TickOutcome> {
  return pool.tick(bundle, { props: {}, blackboard: blackboard as never });
}

describe('sandbox hazards', () => {
  it('infinite loop: FAILURE "exceeded its 50 ms time limit", isolate rebuilt, others carry on', async () => {
    const pool = trackedPool({ limits: { wallTimeMs: 50, cpuTimeMs: 10_000 } });
    const bundle = await node('while (true) {}', '', 'SendSlackMessage');
    const outcome = await run(pool, bundle);
    expect(outcome.status).toBe('FAILURE');
    expect(outcome.error).toMatch(/^SendSlackMessage@1\.0\.0 exceeded its 50 ms time limit\. HINT: /);
    expect(outcome.limit).toBe('wallTimeMs');
    expect(await pool.stats()).toMatchObject({ isolatesCreated: 1, isolatesDisposed: 1, breaches: 1 });
    await expectOthersUnharmed(pool, bundle);
  });

  it('infinite loop at module top level: stopped by the CPU limit', async () => {
    const pool = trackedPool({ limits: { cpuTimeMs: 30 } });
    const bundle = await node('return NodeStatus.SUCCESS;', 'for (;;) {}');
    const outcome = await run(pool, bundle);
    expect(outcome.error).toMatch(/exceeded its 30 ms CPU time limit/);
    expect(outcome.limit).toBe('cpuTimeMs');
    await expectOthersUnharmed(pool, bundle);
  });

  it('CPU burn inside a capability await: the burn after the await is charged and stopped', async () => {
    const pool = trackedPool({ limits: { cpuTimeMs: 40, wallTimeMs: 5_000 }, capabilities: { slow: () => new Promise((r) => setTimeout(() => r(1), 20)) } });
    const bundle = await node('await a.slow(); for (;;) {}');
    const outcome = await run(pool, bundle);
    expect(outcome.error).toMatch(/exceeded its 40 ms CPU time limit/);
    await expectOthersUnharmed(pool, bundle);
  });

  it('CPU burn while a capability call is in flight (not awaited): stopped before the host even waits', async () => {
    const pool = trackedPool({ limits: { cpuTimeMs: 40 }, capabilities: { slow: () => new Promise((r) => setTimeout(r, 1000)) } });
    const bundle = await node('const p = a.slow(); Promise.resolve().then(() => { for (;;) {} }); await p; return NodeStatus.SUCCESS;');
    expect((await run(pool, bundle)).limit).toBe('cpuTimeMs');
    await expectOthersUnharmed(pool, bundle);
  });

  it('slow capability: wall time includes awaited capabilities', async () => {
    const pool = trackedPool({ limits: { wallTimeMs: 60 }, capabilities: { hang: () => new Promise(() => {}) } });
    const bundle = await node('await a.hang(); return NodeStatus.SUCCESS;');
    const outcome = await run(pool, bundle);
    expect(outcome.error).toMatch(/exceeded its 60 ms time limit/);
    await expectOthersUnharmed(pool, bundle);
  });

  it('endless microtask chain: the timeout covers promise jobs, not only the call', async () => {
    const pool = trackedPool({ limits: { cpuTimeMs: 40 } });
    const bundle = await node('const spin = (): any => Promise.resolve().then(spin); spin(); return NodeStatus.SUCCESS;');
    expect(await run(pool, bundle)).toMatchObject({ status: 'FAILURE', limit: 'cpuTimeMs' });
    await expectOthersUnharmed(pool, bundle);
  });

  it('endless toJSON in a blackboard write: serialisation runs under the same limits', async () => {
    const pool = trackedPool({ limits: { cpuTimeMs: 40 } });
    const bundle = await node("ctx.blackboard.set('x', { toJSON() { for (;;) {} } }); return NodeStatus.SUCCESS;");
    expect(await run(pool, bundle)).toMatchObject({ status: 'FAILURE', limit: 'cpuTimeMs' });
    await expectOthersUnharmed(pool, bundle);
  });

  it('memory bomb (arrays): isolate disposed on its memory limit', async () => {
    const pool = trackedPool({ limits: { memoryMb: 16, cpuTimeMs: 10_000, wallTimeMs: 10_000 } });
    const bundle = await node('const keep: any[] = []; for (;;) keep.push(new Array(100000).fill({ x: 1 }));');
    const outcome = await run(pool, bundle);
    expect(outcome.error).toMatch(/exceeded its 16 MB memory limit/);
    expect(outcome.limit).toBe('memory');
    await expectOthersUnharmed(pool, bundle);
  });

  it('memory bomb (strings): isolate disposed on its memory limit', async () => {
    const pool = trackedPool({ limits: { memoryMb: 16, cpuTimeMs: 10_000, wallTimeMs: 10_000 } });
    const bundle = await node("const keep: string[] = []; let s = 'x'; for (let i = 0; ; i++) { s = s + s.slice(0, 1 << 16) + i; keep.push(s); }");
    const outcome = await run(pool, bundle);
    expect(outcome.status).toBe('FAILURE');
    expect(outcome.error).toMatch(/exceeded its 16 MB memory limit|Invalid string length/);
    await expectOthersUnharmed(pool, bundle);
  });

  it('memory bomb (ArrayBuffers): they count against the isolate limit and allocation fails', async () => {
    const pool = trackedPool({ limits: { memoryMb: 16, cpuTimeMs: 10_000, wallTimeMs: 10_000 } });
    const bundle = await node(`const keep: ArrayBuffer[] = []; let n = 0;
      try { for (; n < 1000; n++) keep.push(new ArrayBuffer(1 << 20)); } catch (e) { ctx.blackboard.set('stoppedAt', n); ctx.blackboard.set('why', String(e)); }
      return NodeStatus.SUCCESS;`);
    const outcome = await run(pool, bundle);
    if (outcome.status === 'SUCCESS') {
      // The guest caught the failed allocation: it got well under 1000 MiB.
      expect(outcome.writes.stoppedAt).toBeLessThan(64);
      expect(outcome.writes.why).toMatch(/allocation failed/);
    } else {
      expect(outcome.limit).toBe('memory');
    }
    await expectOthersUnharmed(pool, bundle);
  });

  it('huge blackboard writes: FAILURE on the writes-out limit', async () => {
    const pool = trackedPool({ limits: { writesOutBytes: 10_000 } });
    const bundle = await node("for (let i = 0; i < 100; i++) ctx.blackboard.set('k' + i, 'x'.repeat(1000)); return NodeStatus.SUCCESS;");
    const outcome = await run(pool, bundle);
    expect(outcome).toMatchObject({ status: 'FAILURE', writes: {}, limit: 'writesOutBytes' });
    expect(outcome.error).toMatch(/exceeded its 10000-byte blackboard writes limit/);
    await expectOthersUnharmed(pool, bundle);
  });

  it('deeply nested blackboard writes: refused or copied, never an exception in the host', async () => {
    const pool = trackedPool({ limits: { cpuTimeMs: 2_000, wallTimeMs: 5_000 } });
    for (const key of ['plain', '__proto__x']) {
      const bundle = await node(`let v: any = { ${JSON.stringify(key)}: 1 }; for (let i = 0; i < 200000; i++) v = [v];
        ctx.blackboard.set('deep', v); return NodeStatus.SUCCESS;`);
      const outcome = await run(pool, bundle);
      expect(['SUCCESS', 'FAILURE']).toContain(outcome.status);
      if (outcome.status === 'FAILURE') expect(outcome.error).toMatch(/deep|call stack|JSON/);
    }
    await expectOthersUnharmed(pool, await node('return NodeStatus.SUCCESS;', '', 'Deep'));
  });

  it('huge blackboard input: refused before the guest runs', async () => {
    const pool = trackedPool({ limits: { blackboardInBytes: 1_000 } });
    const bundle = await bundleOf(OK, 'Fine');
    const outcome = await run(pool, bundle, { big: 'x'.repeat(2_000) });
    expect(outcome).toMatchObject({ status: 'FAILURE', limit: 'blackboardInBytes' });
    expect(outcome.error).toMatch(/exceeded its 1000-byte blackboard input limit/);
  });

  it('console flood (lines): FAILURE on the log line limit, logs capped', async () => {
    const pool = trackedPool({ limits: { logLines: 20 } });
    const bundle = await node("for (;;) console.log('spam');");
    const outcome = await run(pool, bundle);
    expect(outcome).toMatchObject({ status: 'FAILURE', limit: 'logLines' });
    expect(outcome.logs.length).toBe(20);
    await expectOthersUnharmed(pool, bundle);
  });

  it('console flood (bytes): FAILURE on the log byte limit; long lines are cut', async () => {
    const pool = trackedPool({ limits: { logBytes: 5_000, logLineBytes: 1_000 } });
    const bundle = await node("for (let i = 0; i < 10; i++) console.error('y'.repeat(100_000)); return NodeStatus.SUCCESS;");
    const outcome = await run(pool, bundle);
    expect(outcome).toMatchObject({ status: 'FAILURE', limit: 'logBytes' });
    expect(outcome.logs.every((l) => l.message.length < 1_100)).toBe(true);
    await expectOthersUnharmed(pool, bundle);
  });

  it('deep recursion: a RangeError inside the guest becomes FAILURE; the host stack is untouched', async () => {
    const pool = trackedPool();
    const bundle = await node('return f(0);', 'function f(n: number): any { return f(n + 1) + 1; }');
    const outcome = await run(pool, bundle);
    expect(outcome.status).toBe('FAILURE');
    expect(outcome.error).toContain('Maximum call stack size exceeded');
    await expectOthersUnharmed(pool, bundle);
  });

  it('constructor chains (Function, AsyncFunction, GeneratorFunction, errors, promises, ctx, capabilities) reach no host', async () => {
    const pool = trackedPool();
    const bundle = await node(`
      const probes: Record<string, () => unknown> = {
        'this.constructor.constructor': () => this.constructor.constructor('return process')(),
        'function ctor this': () => (function () {}).constructor('return this')().process,
        'AsyncFunction': () => Object.getPrototypeOf(async function () {}).constructor('return process')(),
        'GeneratorFunction': () => Object.getPrototypeOf(function* () {}).constructor('return process')().next(),
        'AsyncGeneratorFunction': () => Object.getPrototypeOf(async function* () {}).constructor('return process')(),
        'error chain': () => { try { (null as any).x; } catch (e: any) { return e.constructor.constructor('return process')(); } },
        'promise chain': () => Promise.resolve().constructor.constructor('return process')(),
        'ctx chain': () => ctx.constructor.constructor('return process')(),
        'blackboard chain': () => ctx.blackboard.constructor.constructor('return process')(),
        'capability chain': () => a.anything.constructor('return process')(),
        'proxy constructor': () => a.constructor.constructor('return require')(),
        'global process': () => (globalThis as any).process,
        'global require': () => (globalThis as any).require,
        'eval': () => eval('typeof process + typeof global + typeof Buffer'),
        'require of a host module': () => eval("require('node:fs')"),
      };
      const out: Record<string, string> = {};
      for (const [k, f] of Object.entries(probes)) {
        try {
          let v: any = f();
          if (v instanceof Promise) v = await v.catch((e: any) => e.name + ': ' + e.message);
          out[k] = typeof v === 'string' ? v : typeof v;
        } catch (e: any) { out[k] = e.name + ': ' + e.message; }
      }
      const g = Object.getOwnPropertyNames(globalThis);
      out.hostGlobals = g.filter((n) => /^(process|require|module|global|Buffer|ivm|_ivm|isolated|setTimeout|setInterval|fetch|WebAssembly|SharedArrayBuffer|Atomics)$/.test(n)).join(',');
      ctx.blackboard.set('probes', out);
      return NodeStatus.SUCCESS;`);
    const outcome = await run(pool, bundle);
    expect(outcome.error).toBeUndefined();
    expect(outcome.status).toBe('SUCCESS');
    const probes = outcome.writes.probes as Record<string, string>;
    for (const [k, v] of Object.entries(probes)) {
      if (k === 'hostGlobals') expect(v).toBe('');
      else if (k === 'eval') expect(v).toBe('undefinedundefinedundefined');
      else if (k === 'require of a host module') expect(v).toBe('Error: the sandbox does not provide module "node:fs"');
      else expect([k, v]).toSatisfy(([, x]: [string, string]) => x === 'undefined' || x === 'object' || /^ReferenceError: (process|require) is not defined$/.test(x));
    }
    expect(probes['this.constructor.constructor']).toBe('ReferenceError: process is not defined');
    expect(probes.AsyncFunction).toBe('ReferenceError: process is not defined');
  });

  it('Error.prepareStackTrace: cannot be installed; stacks stay guest-only and host-path-free', async () => {
    const pool = trackedPool();
    const bundle = await node(`
      let installed = 'no';
      try { (Error as any).prepareStackTrace = (_e: unknown, frames: any[]) => frames.map((f) => f.getFileName()); installed = 'yes'; } catch (e: any) { installed = e.name; }
      ctx.blackboard.set('installed', installed);
      const o: any = {}; Error.captureStackTrace(o); ctx.blackboard.set('stack', String(o.stack));
      return NodeStatus.SUCCESS;`);
    const outcome = await run(pool, bundle);
    expect(outcome.writes.installed).toBe('TypeError');
    expect(String(outcome.writes.stack)).not.toMatch(/\/work\/|node_modules|node:/);
  });

  it('Promise/Array Symbol.species: intrinsics are frozen, a species-laden result cannot subvert the runtime', async () => {
    const pool = trackedPool();
    const bundle = await node(`
      const attempts: string[] = [];
      for (const f of [
        () => Object.defineProperty(Promise, Symbol.species, { get: () => Array }),
        () => Object.defineProperty(Array, Symbol.species, { get: () => Promise }),
        () => { (Promise.prototype as any).then = () => 'pwned'; },
        () => { (Array.prototype as any).push = () => 0; },
        () => { (['x'] as any).constructor = { [Symbol.species]: Promise }; },
      ]) { try { f(); attempts.push('changed'); } catch (e: any) { attempts.push(e.name); } }
      class EvilPromise extends Promise<any> {
        static get [Symbol.species]() { return Promise; }
        then(onOk: any, onErr: any) { return super.then(() => onOk('SUCCESS'), onErr); }
      }
      const arr: any = ['x'];
      Object.defineProperty(arr, 'constructor', { value: { [Symbol.species]: function () { return { length: 1e9 }; } } });
      ctx.blackboard.set('arr', arr);
      ctx.blackboard.set('attempts', attempts);
      return new EvilPromise((r) => r('FAILURE'));`);
    const outcome = await run(pool, bundle);
    expect(outcome.writes.attempts).toEqual(['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
    expect(outcome.writes.arr).toEqual(['x']);
    expect(outcome.status).toBe('SUCCESS');
  });

  it('thenables returned to the host: only plain JSON data leaves the guest; a never-settling thenable fails the tick', async () => {
    const pool = trackedPool({ capabilities: { take: (_ctx, v) => ({ received: v, isProxy: types.isProxy(v), hasThen: typeof (v as { then?: unknown })?.then }) } });
    const bundle = await node(`
      const thenable = { then(r: any) { r('SUCCESS'); }, x: 1 };
      ctx.blackboard.set('t', thenable);
      ctx.blackboard.set('echo', await a.take(thenable));
      return thenable;`);
    const outcome = await run(pool, bundle);
    expect(outcome.status).toBe('SUCCESS');
    expect(outcome.writes.t).toEqual({ x: 1 });
    expect(outcome.writes.echo).toEqual({ received: { x: 1 }, isProxy: false, hasThen: 'undefined' });
    const never = await node('return { then() {} };', '', 'Never');
    const stuck = await run(pool, never);
    expect(stuck.status).toBe('FAILURE');
    expect(stuck.error).toMatch(/never settled/);
  });

  it('SuppressedError/AggregateError/Error.cause smuggling: errors cross as bounded strings only, both ways', async () => {
    const pool = trackedPool({
      limits: { wallTimeMs: 2_000, cpuTimeMs: 500 },
      capabilities: { fail: () => { throw Object.assign(new Error('capability said no', { cause: { secret: 'host-object' } }), { extra: 'host' }); } },
    });
    const inbound = await node(`
      try { await a.fail(); } catch (e: any) { ctx.blackboard.set('seen', { message: e.message, cause: String(e.cause), keys: Object.keys(e) }); }
      return NodeStatus.SUCCESS;`, '', 'Inbound');
    expect((await run(pool, inbound)).writes.seen).toEqual({ message: 'capability said no', cause: 'undefined', keys: [] });
    const outbound = await node(`
      const hostile = new Proxy({}, { get() { throw new Error('trap'); } });
      const inner = new AggregateError([hostile, { get stack() { for (;;) {} } }], 'agg', { cause: hostile });
      const S = (globalThis as any).SuppressedError;
      throw S ? new S(inner, hostile, 'suppressed') : inner;`, '', 'Outbound');
    const outcome = await run(pool, outbound);
    expect(outcome.status).toBe('FAILURE');
    expect(typeof outcome.error).toBe('string');
    expect(outcome.error).toMatch(/Outbound@1\.0\.0 threw|suppressed|agg/);
    await expectOthersUnharmed(pool, outbound);
  });

  it('Proxy objects as blackboard values or capability arguments: copied as plain data, or refused', async () => {
    let received: unknown;
    const pool = trackedPool({ capabilities: { take: (_ctx, v) => { received = v; } } });
    const bundle = await node(`
      const p = new Proxy({ a: 1 }, { get: (t: any, k) => (k === 'a' ? 2 : t[k]) });
      ctx.blackboard.set('p', p);
      await a.take(p);
      return NodeStatus.SUCCESS;`);
    const outcome = await run(pool, bundle);
    expect(outcome.writes.p).toEqual({ a: 2 });
    expect(types.isProxy(outcome.writes.p)).toBe(false);
    expect(received).toEqual({ a: 2 });
    expect(types.isProxy(received)).toBe(false);
    const hostile = await node(`ctx.blackboard.set('p', new Proxy({}, { ownKeys() { throw new Error('no keys for you'); } })); return NodeStatus.SUCCESS;`, '', 'Hostile');
    const refused = await run(pool, hostile);
    expect(refused.status).toBe('FAILURE');
    expect(refused.error).toMatch(/value at blackboard key "p" is not JSON-serializable: no keys for you/);
  });

  it('__proto__/constructor/prototype keys in writes: reserved top-level keys fail the tick; nested __proto__ is dropped', async () => {
    const pool = trackedPool();
    for (const key of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty']) {
      const bundle = await node(`ctx.blackboard.set(${JSON.stringify(key)}, { polluted: true }); return NodeStatus.SUCCESS;`);
      const outcome = await run(pool, bundle);
      expect(outcome.status).toBe('FAILURE');
      expect(outcome.error).toContain(`blackboard key ${JSON.stringify(key)} is reserved`);
    }
    const nested = await node(`ctx.blackboard.set('v', JSON.parse('{"__proto__": {"polluted": true}, "\\\\u005f_proto__": {"polluted": true}, "ok": 1}')); return NodeStatus.SUCCESS;`);
    const outcome = await run(pool, nested);
    expect(outcome.status).toBe('SUCCESS');
    const v = outcome.writes.v as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, '__proto__')).toBe(false);
    expect(v).toEqual({ ok: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a node that keeps state or timers across ticks: module state, statics, globals and pending timers do not carry over', async () => {
    let calls = 0;
    const pool = trackedPool({ capabilities: { ping: () => { calls++; } } });
    const src = await bundleOf(
      `import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
       import { proxyActivities, sleep } from '@temporalio/workflow';
       const a: any = proxyActivities({});
       let moduleCounter = 0;
       export default class Keeper extends ActionNode {
         static statics = 0;
         async executeTick(ctx: any) {
           moduleCounter++; Keeper.statics++;
           let globalWrite = 'allowed';
           try { (globalThis as any).leak = ((globalThis as any).leak ?? 0) + 1; } catch (e: any) { globalWrite = e.name; }
           void sleep(5).then(() => a.ping());
           void a.ping();
           ctx.blackboard.set('seen', { moduleCounter, statics: Keeper.statics, globalWrite, leak: typeof (globalThis as any).leak });
           return NodeStatus.SUCCESS;
         }
       }`,
      'Keeper',
    );
    const first = await run(pool, src);
    await new Promise((r) => setTimeout(r, 30));
    const second = await run(pool, src);
    const expected = { moduleCounter: 1, statics: 1, globalWrite: 'TypeError', leak: 'undefined' };
    expect(first.writes.seen).toEqual(expected);
    expect(second.writes.seen).toEqual(expected);
    // Un-awaited calls still queued when the tick ended were dropped (with a warning), and the
    // sleep's continuation never ran: nothing outlives the tick.
    expect(calls).toBe(0);
    expect(first.logs).toContainEqual({ level: 'warn', message: expect.stringMatching(/2 capability call\(s\) were still pending \(not started: \$sleep, ping\)/) });
  });

  it('a node that keeps state on zod or at module top level: zod’s functions are frozen, the top level is strict', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(`import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';
      const s = z.object({ a: z.string().email().optional(), b: z.array(z.number()).min(1), c: z.enum(['x', 'y']), h: z.discriminatedUnion('k', [z.object({ k: z.literal('a') }), z.object({ k: z.literal('b'), n: z.number() })]) });
      const tries: string[] = [];
      for (const f of [() => { (z.string as any).stash = 1; }, () => { (z as any).stash = 1; }, () => { (globalThis as any).stash = 1; }]) {
        try { f(); tries.push('stored'); } catch (e: any) { tries.push(e.name); }
      }
      const topThis = typeof this;
      export default defineNode({ name: 'Zed', tick(ctx) {
        const ok = s.safeParse({ b: [1], c: 'x', h: { k: 'b', n: 1 } });
        const bad = s.safeParse({ a: 'nope', b: [], c: 'z', h: { k: 'c' } });
        ctx.blackboard.set('r', { ok: ok.success, issues: bad.success ? 0 : bad.error.issues.length, tries, topThis });
        return NodeStatus.SUCCESS;
      } });`, 'Zed');
    const outcome = await run(pool, bundle);
    expect(outcome.writes.r).toEqual({ ok: true, issues: 4, tries: ['TypeError', 'TypeError', 'TypeError'], topThis: 'undefined' });
  });

  it('a tenant trying to reach another tenant’s globals: separate isolates, nothing shared', async () => {
    const pool = trackedPool();
    const writer = await node(`
      let r = 'none';
      try { Object.defineProperty(globalThis, 'shared', { value: 'from acme' }); r = 'defined'; } catch (e: any) { r = e.name; }
      try { (Object.prototype as any).tainted = 'acme'; } catch (e: any) { r += '/' + e.name; }
      ctx.blackboard.set('r', r); return NodeStatus.SUCCESS;`, '', 'Writer');
    const reader = await node(`ctx.blackboard.set('seen', [typeof (globalThis as any).shared, typeof ({} as any).tainted]); return NodeStatus.SUCCESS;`, '', 'Reader');
    expect((await run(pool, writer)).writes.r).toBe('TypeError/TypeError');
    expect((await run(pool, forTenant(reader, 'globex'))).writes.seen).toEqual(['undefined', 'undefined']);
    expect((await pool.stats()).isolatesCreated).toBe(2);
  });

  it('tampered or odd bundles: no default export, a default that is not a node, garbage, forbidden imports', async () => {
    const pool = trackedPool();
    const cases: Array<[string, RegExp]> = [
      ['export const x = 1;', /must export default a class that extends ActionNode or ConditionNode \(got undefined\)/],
      ['export default 42;', /got number/],
      ['export default class NotANode { executeTick() { return "SUCCESS"; } }', /must extend ActionNode or ConditionNode/],
      ['export default function () { return "SUCCESS"; }', /must extend ActionNode or ConditionNode/],
      ["import fs from 'node:fs'; export default fs;", /failed to load: .*does not provide module "node:fs"/],
      ["import { NodeStatus } from 'wf:internal'; export default NodeStatus;", /failed to load: .*does not provide module "wf:internal"/],
    ];
    for (const [code, message] of cases) {
      const bundle = rawBundle(code);
      const outcome = await run(pool, bundle);
      expect(outcome.status).toBe('FAILURE');
      expect(outcome.error).toMatch(message);
      const err = await pool.inspect(bundle).catch((e: unknown) => e);
      expect(isBtreePluginsError(err, 'InvalidInputError')).toBe(true);
    }
    const garbage = rawBundle('export default class {');
    const outcome = await run(pool, garbage);
    expect(outcome.status).toBe('FAILURE');
    expect(outcome.error).toMatch(/Odd@1\.0\.0 failed to load: the bundle could not be prepared: Expected identifier/);
  });

  it('capability argument too large: FAILURE on the argument limit', async () => {
    const pool = trackedPool({ limits: { capabilityArgBytes: 1_000 }, capabilities: { take: () => null } });
    const bundle = await node("await a.take('z'.repeat(5_000)); return NodeStatus.SUCCESS;");
    expect(await run(pool, bundle)).toMatchObject({ status: 'FAILURE', limit: 'capabilityArgBytes' });
  });

  it('capability result too large: FAILURE on the result limit', async () => {
    const pool = trackedPool({ limits: { capabilityResultBytes: 1_000 }, capabilities: { give: () => 'r'.repeat(5_000) } });
    const bundle = await node('await a.give(); return NodeStatus.SUCCESS;');
    expect(await run(pool, bundle)).toMatchObject({ status: 'FAILURE', limit: 'capabilityResultBytes' });
  });

  it('too many concurrent capability calls: FAILURE on the concurrency limit', async () => {
    const pool = trackedPool({ limits: { concurrentCapabilityCalls: 3 }, capabilities: { slow: () => new Promise((r) => setTimeout(r, 5)) } });
    const bundle = await node('await Promise.all([1, 2, 3, 4].map(() => a.slow())); return NodeStatus.SUCCESS;');
    expect(await run(pool, bundle)).toMatchObject({ status: 'FAILURE', limit: 'concurrentCapabilityCalls' });
    const fine = await node('await Promise.all([1, 2, 3].map(() => a.slow())); return NodeStatus.SUCCESS;', '', 'Fine3');
    expect((await run(pool, fine)).status).toBe('SUCCESS');
  });

  it('too many capability calls in one tick: FAILURE on the per-tick call limit', async () => {
    const pool = trackedPool({ limits: { capabilityCallsPerTick: 5 }, capabilities: { ping: () => 1 } });
    const bundle = await node('for (let i = 0; i < 10; i++) await a.ping(); return NodeStatus.SUCCESS;');
    expect(await run(pool, bundle)).toMatchObject({ status: 'FAILURE', limit: 'capabilityCallsPerTick' });
  });

  it('inspect of a module whose top level never returns is stopped, by the setup budget (1 s, or the tick limits when higher)', async () => {
    const pool = trackedPool({ limits: { wallTimeMs: 50, cpuTimeMs: 50 } });
    const bundle = await node('return NodeStatus.SUCCESS;', 'while (true) {}');
    const err = await pool.inspect(bundle).catch((e: unknown) => e);
    expect(isBtreePluginsError(err, 'LimitExceededError')).toBe(true);
    expect(String((err as Error).message)).toMatch(/exceeded its 1000 ms (CPU )?time limit/);
  });

  it('inspect of a module whose first evaluation outlasts the tick CPU limit (a cold compile on a busy machine) still succeeds', async () => {
    const pool = trackedPool({ limits: { wallTimeMs: 50, cpuTimeMs: 50 } });
    const bundle = await node('return NodeStatus.SUCCESS;', 'const until = Date.now() + 150; while (Date.now() < until) {}');
    expect(await pool.inspect(bundle)).toEqual({ category: 'action', ports: [] });
  });
});
