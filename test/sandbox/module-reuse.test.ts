/**
 * Modules evaluated once per isolate (src/sandbox/module-reuse.ts, guest `instantiate`): which
 * modules qualify, and that a reused module can never carry anything from one tick to another.
 */
import { describe, expect, it } from 'vitest';
import { factoryText } from '../../src/sandbox/bundle-factory.js';
import { moduleReuse } from '../../src/sandbox/module-reuse.js';
import type { RunnableBundle, TickOutcome } from '../../src/sandbox/types.js';
import { bundleOf, trackedPool, type TestPool } from './helpers.js';

/** The verdict on a node source, compiled the way the loader and the factory do. */
async function verdict(source: string): Promise<{ reusable: boolean; reason?: string }> {
  const b = await bundleOf(source);
  const text = await factoryText(b.code);
  if ('error' in text) throw new Error(text.error);
  const body = text.source.slice(text.source.indexOf('\n') + 1, text.source.lastIndexOf('\n'));
  const direct = moduleReuse(body.replace(/\nmodule\.locals = \[[^\]]*\];$/, ''));
  expect(direct.reusable).toBe(text.reusable);
  return direct.reusable ? { reusable: true } : { reusable: false, reason: direct.reason };
}

const HEAD = `import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
import { proxyActivities } from '@temporalio/workflow';`;

describe('moduleReuse: which modules are evaluated once per isolate', () => {
  it.each([
    ['a plain class node', `export default class N extends ActionNode { async executeTick(ctx: any) { this.setOutput(ctx, 'n', 1); return NodeStatus.SUCCESS; } }`],
    ['helpers, constants and arrow functions', `const LIMIT = 5; function inc(x: number) { return x + LIMIT; } const twice = (x: number) => 2 * x;
      export default class N extends ActionNode { async executeTick(ctx: any) { this.setOutput(ctx, 'n', twice(inc(1))); return NodeStatus.SUCCESS; } }`],
    ['literal static metadata, instance fields and this.x writes', `export default class N extends ActionNode { static metadata = { category: 'action', ports: [{ name: 'n', type: 'output' }] };
      items: string[] = []; async executeTick(ctx: any) { this.items.push('x'); this.count = 1; return NodeStatus.SUCCESS; } count = 0; }`],
    ['capabilities from proxyActivities', `const a = proxyActivities<any>({ startToCloseTimeout: '1 minute' });
      export default class N extends ActionNode { async executeTick() { await a.send('x'); return NodeStatus.SUCCESS; } }`],
  ])('reusable: %s', async (_name, body) => {
    expect(await verdict(`${HEAD}\n${body}`)).toEqual({ reusable: true });
  });

  it.each([
    ['a top-level let', `let n = 0; export default class N extends ActionNode { async executeTick() { n++; return NodeStatus.SUCCESS; } }`, /n is assigned/],
    ['a top-level Map', `const m = new Map(); export default class N extends ActionNode { async executeTick() { m.set(1, 1); return NodeStatus.SUCCESS; } }`, /could change/],
    ['a top-level object', `const cfg = { retries: 3 }; export default class N extends ActionNode { async executeTick() { return cfg.retries ? NodeStatus.SUCCESS : NodeStatus.FAILURE; } }`, /could change/],
    ['a static memo on the class', `export default class N extends ActionNode { static cache?: number; async executeTick() { N.cache ??= 1; return NodeStatus.SUCCESS; } }`, /member of a module-level object is written/],
    ['a write through this.constructor', `export default class N extends ActionNode { async executeTick() { (this.constructor as any).seen = true; return NodeStatus.SUCCESS; } }`, /member of a module-level object is written/],
    ['a write through this in a static method', `export default class N extends ActionNode { static init() { (this as any).ready = true; } async executeTick() { N.init(); return NodeStatus.SUCCESS; } }`, /member of a module-level object is written/],
    ['Object.defineProperty on the class', `export default class N extends ActionNode { async executeTick() { Object.defineProperty(N, 'x', { value: 1 }); return NodeStatus.SUCCESS; } }`, /Object\.defineProperty is called/],
    ['a method bound over itself in the constructor', `export default class N extends ActionNode { constructor(c: any) { super(c); this.go = this.go.bind(this); } go() { return 1; } async executeTick() { this.go(); return NodeStatus.SUCCESS; } }`, /this\.go is assigned over a method/],
    ['Object.assign onto this', `export default class N extends ActionNode { constructor(c: any) { super(c); Object.assign(this, c); } async executeTick() { return NodeStatus.SUCCESS; } }`, /Object\.assign is called on this/],
    ['a top-level statement that runs code', `console.log('loaded'); export default class N extends ActionNode { async executeTick() { return NodeStatus.SUCCESS; } }`, /top-level statement runs code/],
    ['a top-level binding reassigned by destructuring', `let LIMIT = 5; export default class N extends ActionNode { async executeTick(ctx: any) { [LIMIT] = [ctx.blackboard.get('n')]; return NodeStatus.SUCCESS; } }`, /LIMIT is assigned/],
    ['a top-level binding reassigned by a for-of loop', `var last = ''; export default class N extends ActionNode { async executeTick(ctx: any) { for (last of ['a', 'b']); return NodeStatus.SUCCESS; } }`, /last is assigned/],
    ['a class member written through a destructuring pattern', `export default class N extends ActionNode { static s = 0; async executeTick() { ({ a: N.s } = { a: 1 }); return NodeStatus.SUCCESS; } }`, /member of a module-level object is written/],
    ['a method named like a field the base class assigns', `export default class N extends ActionNode { type() { return 'custom'; } async executeTick() { return NodeStatus.SUCCESS; } }`, /named type, a field the node base class assigns/],
    ['a static field computed at load', `export default class N extends ActionNode { static at = Date.now(); async executeTick() { return NodeStatus.SUCCESS; } }`, /static field/],
  ])('evaluated every tick: %s', async (_name, body, reason) => {
    const v = await verdict(`${HEAD}\n${body}`);
    expect(v.reusable).toBe(false);
    expect(v.reason).toMatch(reason);
  });

  it('evaluated every tick: a defineNode node (zod schemas keep caches of their own)', async () => {
    const v = await verdict(`import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';
      export default defineNode({ name: 'S', props: z.object({ n: z.number().default(1) }), tick(ctx) { return NodeStatus.SUCCESS; } });`);
    expect(v.reusable).toBe(false);
  });

  it('a module it cannot read is evaluated every tick', () => {
    expect(moduleReuse('var = ;')).toMatchObject({ reusable: false, reason: expect.stringMatching(/could not be read/) });
  });
});

function run(pool: TestPool, bundle: RunnableBundle): Promise<TickOutcome> {
  return pool.tick(bundle, { props: {}, blackboard: {} });
}

describe('a module evaluated once per isolate carries nothing between ticks', () => {
  it('is frozen: its class, prototype and functions; a module evaluated every tick is not (which path ran)', async () => {
    const pool = trackedPool();
    const probe = `const helper = () => 1;
      export default class Probe extends ActionNode { async executeTick(ctx: any) {
        ctx.blackboard.set('frozen', [Object.isFrozen(Object.getPrototypeOf(this)), Object.isFrozen(Object.getPrototypeOf(this).constructor), Object.isFrozen(helper)]);
        return NodeStatus.SUCCESS; } }`;
    const reused = await bundleOf(`${HEAD}\n${probe}`, 'Probe');
    const fresh = await bundleOf(`${HEAD}\nlet n = 0;\n${probe.replace('async executeTick(ctx: any) {', 'async executeTick(ctx: any) { n++;')}`, 'Probe');
    for (let i = 0; i < 2; i++) {
      expect((await run(pool, reused)).writes.frozen).toEqual([true, true, true]);
      expect((await run(pool, fresh)).writes.frozen).toEqual([false, false, false]);
    }
  });

  it('hazard: a write to the module through an alias the reading cannot see fails the tick, every tick, and leaves nothing behind (module state)', async () => {
    const pool = trackedPool();
    const source = `${HEAD}
      export default class Sneaky extends ActionNode { async executeTick(ctx: any) {
        const proto: any = Object.getPrototypeOf(this);
        const key = 'cons' + 'tructor';
        const cls = proto[key];
        cls.count = (cls.count ?? 0) + 1;
        ctx.blackboard.set('count', cls.count);
        return NodeStatus.SUCCESS; } }`;
    expect(await verdict(source)).toEqual({ reusable: true });
    const bundle = await bundleOf(source, 'Sneaky');
    for (let i = 0; i < 3; i++) {
      const o = await run(pool, bundle);
      expect(o.status).toBe('FAILURE');
      expect(o.error).toMatch(/TypeError: Cannot add property count, object is not extensible/);
      expect(o.writes).toEqual({});
    }
  });

  it('hazard: a top-level binding counted up through destructuring starts over every tick (module state)', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(
      `${HEAD}
      let count = 0;
      export default class Counter extends ActionNode { async executeTick(ctx: any) { [count] = [count + 1]; ctx.blackboard.set('count', count); return NodeStatus.SUCCESS; } }`,
      'Counter',
    );
    for (let i = 0; i < 3; i++) expect((await run(pool, bundle)).writes.count).toBe(1);
  });

  it('two ticks in flight on one reused module each have their own node and fields (shared instance)', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(
      `${HEAD}
      import { sleep } from '@temporalio/workflow';
      export default class Slow extends ActionNode { items: number[] = []; async executeTick(ctx: any) {
        const id = ctx.blackboard.get('id');
        this.items.push(id);
        await sleep(ctx.blackboard.get('pause'));
        this.items.push(id);
        ctx.blackboard.set('items', this.items);
        return NodeStatus.SUCCESS; } }`,
      'Slow',
    );
    const [a, b] = await Promise.all([pool.tick(bundle, { props: {}, blackboard: { id: 1, pause: 60 } }), pool.tick(bundle, { props: {}, blackboard: { id: 2, pause: 10 } })]);
    expect(a.writes.items).toEqual([1, 1]);
    expect(b.writes.items).toEqual([2, 2]);
  });
});
