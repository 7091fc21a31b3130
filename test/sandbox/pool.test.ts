import { describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';
import type { SandboxLogger } from '../../src/sandbox/pool.js';
import { bundleOf, forTenant, seedSource, trackedPool } from './helpers.js';

const SDK_NODE = `
import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';
export default defineNode({
  name: 'Greet',
  description: 'Greets someone',
  ports: [{ name: 'who', type: 'input' }, { name: 'out', type: 'output' }],
  props: z.object({ greeting: z.string().min(1), times: z.number().int().default(1), who: z.string().optional(), out: z.string().optional() }),
  tick(ctx) {
    const who = ctx.getInput<string>('who', 'nobody');
    ctx.setOutput('out', (ctx.props.greeting + ' ' + who + ' ').repeat(ctx.props.times).trim());
    ctx.log.info('greeted', who);
    return NodeStatus.SUCCESS;
  },
});
`;

const CLASS_NODE = `
import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
export default class Counter extends ActionNode {
  async executeTick(ctx: any) {
    const n = (this.getInput(ctx, 'count', 0) as number) + 1;
    this.setOutput(ctx, 'count', n);
    ctx.blackboard.delete('scratch');
    this.log('counted ' + n);
    return n >= 3 ? NodeStatus.SUCCESS : NodeStatus.RUNNING;
  }
}
`;

function memoryLogger(): SandboxLogger & { lines: Array<[string, string, Record<string, unknown>]> } {
  const lines: Array<[string, string, Record<string, unknown>]> = [];
  const log = (level: string) => (message: string, meta: Record<string, unknown>) => void lines.push([level, message, meta]);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe('SandboxPool', () => {
  it('runs the seed SendSlackMessage unchanged, calling the sendSlackMessage capability', async () => {
    const calls: unknown[] = [];
    const pool = trackedPool({
      capabilities: {
        sendSlackMessage: async (ctx, channel, message) => {
          calls.push({ ctx: { tenantId: ctx.tenantId, node: ctx.node, version: ctx.version }, channel, message });
        },
      },
    });
    const bundle = await bundleOf(seedSource(), 'SendSlackMessage', '1.0.0');
    const outcome = await pool.tick(bundle, { props: { channel: '#ops', message: 'hi {{user}}' }, blackboard: { user: 'ada' } });
    expect(outcome).toMatchObject({ status: 'SUCCESS', writes: {}, deletes: [] });
    expect(outcome.error).toBeUndefined();
    expect(calls).toEqual([{ ctx: { tenantId: 'acme', node: 'SendSlackMessage', version: '1.0.0' }, channel: '#ops', message: 'hi ada' }]);
  });

  it('turns a failing capability into the seed node’s _lastError', async () => {
    const pool = trackedPool({ capabilities: { sendSlackMessage: async () => { throw new Error('channel_not_found'); } } });
    const bundle = await bundleOf(seedSource(), 'SendSlackMessage', '1.0.0');
    const outcome = await pool.tick(bundle, { props: { channel: '#x', message: 'm' }, blackboard: {} });
    expect(outcome.status).toBe('FAILURE');
    expect(outcome.error).toBe('Slack message failed: channel_not_found');
  });

  it('rejects calls to capabilities the tenant does not have', async () => {
    const pool = trackedPool({ tenants: { globex: { capabilities: { sendSlackMessage: async () => 'ok' } } } });
    const bundle = await bundleOf(seedSource(), 'SendSlackMessage', '1.0.0');
    const denied = await pool.tick(bundle, { props: { channel: '#x', message: 'm' }, blackboard: {} });
    expect(denied.status).toBe('FAILURE');
    expect(denied.error).toContain('capability "sendSlackMessage" is not available to tenant acme');
    const allowed = await pool.tick(forTenant(bundle, 'globex'), { props: { channel: '#x', message: 'm' }, blackboard: {} });
    expect(allowed.status).toBe('SUCCESS');
  });

  it('runs a defineNode node: zod props, port remapping, logs', async () => {
    const logger = memoryLogger();
    const pool = trackedPool({ logger });
    const bundle = await bundleOf(SDK_NODE, 'Greet');
    const outcome = await pool.tick(bundle, { props: { greeting: 'Hello', times: 2, who: 'user', out: 'greeting' }, blackboard: { user: 'Ada' } });
    expect(outcome).toMatchObject({ status: 'SUCCESS', writes: { greeting: 'Hello Ada Hello Ada' }, deletes: [] });
    expect(outcome.logs).toEqual([{ level: 'info', message: 'greeted Ada' }]);
    expect(logger.lines).toEqual([['info', 'greeted Ada', { tenantId: 'acme', node: 'Greet', version: '1.0.0', source: 'guest' }]]);
  });

  it('fails a defineNode node whose props do not match its schema, listing the problems', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(SDK_NODE, 'Greet');
    const outcome = await pool.tick(bundle, { props: { greeting: '', times: 1.5 }, blackboard: {} });
    expect(outcome.status).toBe('FAILURE');
    expect(outcome.error).toContain('Invalid configuration for Greet');
    expect(outcome.error).toContain('greeting');
    expect(outcome.error).toContain('times');
  });

  it('inspects a defineNode node: category, ports and props as JSON Schema', async () => {
    const pool = trackedPool();
    const meta = await pool.inspect(await bundleOf(SDK_NODE, 'Greet'));
    expect(meta.category).toBe('action');
    expect(meta.description).toBe('Greets someone');
    expect(meta.ports).toEqual([{ name: 'who', type: 'input' }, { name: 'out', type: 'output' }]);
    expect(meta.propsSchema).toMatchObject({
      type: 'object',
      properties: { greeting: { type: 'string', minLength: 1 }, times: { type: 'integer', default: 1 } },
      required: ['greeting'],
    });
  });

  it('inspects class-based nodes: the seed is an action, a ConditionNode subclass a condition', async () => {
    const pool = trackedPool();
    expect(await pool.inspect(await bundleOf(seedSource(), 'SendSlackMessage'))).toEqual({ category: 'action', ports: [] });
    const cond = await bundleOf(`import { ConditionNode, NodeStatus } from '@wayfarer-ai/btree';
      export default class IsBig extends ConditionNode {
        static metadata = { description: 'n > 10', ports: [{ name: 'n', type: 'input' }] };
        async executeTick(ctx: any) { return this.getInput(ctx, 'n', 0) > 10 ? NodeStatus.SUCCESS : NodeStatus.FAILURE; }
      }`, 'IsBig');
    expect(await pool.inspect(cond)).toEqual({ category: 'condition', description: 'n > 10', ports: [{ name: 'n', type: 'input' }] });
  });

  it('hands back writes, deletes and RUNNING from a class-based node; each tick starts from the given blackboard', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(CLASS_NODE, 'Counter');
    const first = await pool.tick(bundle, { props: {}, blackboard: { count: 1, scratch: true } });
    expect(first).toMatchObject({ status: 'RUNNING', writes: { count: 2 }, deletes: ['scratch'] });
    expect(first.logs).toEqual([{ level: 'info', message: '[Counter:Counter] counted 2' }]);
    const second = await pool.tick(bundle, { props: {}, blackboard: { count: 2 }, nodeId: 'c1', nodeName: 'my counter' });
    expect(second).toMatchObject({ status: 'SUCCESS', writes: { count: 3 } });
    expect(second.logs[0]!.message).toBe('[Counter:my counter] counted 3');
  });

  it('maps a thrown error onto the tenant’s TypeScript line', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(`import { ActionNode } from '@wayfarer-ai/btree';
interface Unused { a: number }
export default class Thrower extends ActionNode {
  async executeTick() {
    const x: Unused = { a: 1 };
    throw new Error('boom ' + x.a);
  }
}`, 'Thrower');
    const outcome = await pool.tick(bundle, { props: {}, blackboard: {} });
    expect(outcome.status).toBe('FAILURE');
    expect(outcome.error).toMatch(/^Error: boom 1\n\s+at Thrower\.executeTick \(index\.ts:6:11\)/);
    expect(outcome.error).not.toContain('wf-');
    expect(outcome.error).not.toContain('/work/');
  });

  it('maps errors thrown at module evaluation and keeps host frames out', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(`import { ActionNode } from '@wayfarer-ai/btree';
function explode(): never { throw new TypeError('top-level'); }
explode();
export default class X extends ActionNode {}`, 'X');
    const outcome = await pool.tick(bundle, { props: {}, blackboard: {} });
    expect(outcome.status).toBe('FAILURE');
    expect(outcome.error).toMatch(/^TypeError: top-level\n\s+at explode \(index\.ts:2:35\)\n\s+at index\.ts:3:1/);
    expect(outcome.error).toContain('index.ts:2:');
    expect(outcome.error).not.toMatch(/node_modules|isolated-vm|\/work\//);
  });

  it('turns a status other than SUCCESS/FAILURE/RUNNING into FAILURE with a message', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(`import { ActionNode } from '@wayfarer-ai/btree';
      export default class Idle extends ActionNode { async executeTick() { return 'IDLE' as any; } }`, 'Idle');
    const outcome = await pool.tick(bundle, { props: {}, blackboard: {} });
    expect(outcome.status).toBe('FAILURE');
    expect(outcome.error).toContain('executeTick returned IDLE instead of NodeStatus.SUCCESS, FAILURE or RUNNING');
  });

  it('ignores an unhandled promise rejection: the tick ends as executeTick said (the host never reads tenant rejections, see red-team.test.ts)', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(`import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
      export default class Sloppy extends ActionNode { async executeTick() { void Promise.reject(new Error('forgotten')); return NodeStatus.SUCCESS; } }`, 'Sloppy');
    const outcome = await pool.tick(bundle, { props: {}, blackboard: {} });
    expect(outcome.status).toBe('SUCCESS');
    expect(outcome.error).toBeUndefined();
  });

  it('supports sleep() from @temporalio/workflow within the wall time', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(`import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
      import { sleep } from '@temporalio/workflow';
      export default class Napper extends ActionNode { async executeTick(ctx: any) { await sleep(5); await sleep('1ms'); ctx.blackboard.set('slept', true); return NodeStatus.SUCCESS; } }`, 'Napper');
    expect(await pool.tick(bundle, { props: {}, blackboard: {} })).toMatchObject({ status: 'SUCCESS', writes: { slept: true } });
  });

  it('fails at link time, clearly, when a bundle imports something the sandbox does not provide', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(`import { condition } from '@temporalio/workflow';
      import { ActionNode } from '@wayfarer-ai/btree';
      export default class C extends ActionNode { async executeTick() { await condition(() => true); return 'SUCCESS' as any; } }`, 'C');
    const outcome = await pool.tick(bundle, { props: {}, blackboard: {} });
    expect(outcome.status).toBe('FAILURE');
    expect(outcome.error).toMatch(/C@1\.0\.0 failed to load: .*'@temporalio\/workflow' does not provide an export named 'condition'/);
  });

  it('runs ticks of one tenant concurrently, each with its own capability results', async () => {
    const pool = trackedPool({ capabilities: { echo: async (_ctx, v) => { await new Promise((r) => setTimeout(r, 5)); return { v }; } } });
    const bundle = await bundleOf(`import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
      import { proxyActivities } from '@temporalio/workflow';
      const a = proxyActivities<{ echo(v: unknown): Promise<{ v: unknown }> }>({});
      export default class Echo extends ActionNode {
        async executeTick(ctx: any) { const [x, y] = await Promise.all([a.echo(ctx.blackboard.get('in')), a.echo(2)]); ctx.blackboard.set('out', [x.v, y.v]); return NodeStatus.SUCCESS; }
      }`, 'Echo');
    const outcomes = await Promise.all([1, 2, 3].map((i) => pool.tick(bundle, { props: {}, blackboard: { in: i } })));
    expect(outcomes.map((o) => o.writes.out)).toEqual([[1, 2], [2, 2], [3, 2]]);
  });

  it('cancels a tick when its signal aborts', async () => {
    const pool = trackedPool({ capabilities: { wait: () => new Promise((r) => setTimeout(r, 10_000)) } });
    const bundle = await bundleOf(`import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
      import { proxyActivities } from '@temporalio/workflow';
      const a = proxyActivities<{ wait(): Promise<void> }>({});
      export default class W extends ActionNode { async executeTick() { await a.wait(); return NodeStatus.SUCCESS; } }`, 'W');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const outcome = await pool.tick(bundle, { props: {}, blackboard: {}, signal: ac.signal });
    expect(outcome).toMatchObject({ status: 'FAILURE', error: 'W@1.0.0 was cancelled' });
  });

  it('cancels a tick whose signal aborts while the tick is on its way to its sandbox (it does not run to the wall limit)', async () => {
    const pool = trackedPool({ capabilities: { wait: () => new Promise((r) => setTimeout(r, 10_000)) } });
    const bundle = await bundleOf(`import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
      import { proxyActivities } from '@temporalio/workflow';
      const a = proxyActivities<{ wait(): Promise<void> }>({});
      export default class W extends ActionNode { async executeTick() { await a.wait(); return NodeStatus.SUCCESS; } }`, 'W');
    const started = performance.now();
    // Aborted before the tick's first await resolves: in a thread or process shard, while the tick
    // waits for its shard (start, bundle factory) — the abort must still reach the shard.
    const ac = new AbortController();
    const ticking = pool.tick(bundle, { props: {}, blackboard: {}, signal: ac.signal });
    ac.abort();
    const outcome = await ticking;
    expect(outcome).toMatchObject({ status: 'FAILURE', error: expect.stringMatching(/^W@1\.0\.0 was cancelled/) });
    // Far below the 10 s the capability (and the default wall limit) would take: it never ran on.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses a bundle whose code does not match its sha256', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(seedSource(), 'SendSlackMessage');
    const tampered = { ...bundle, code: bundle.code.replace('Slack message failed', 'Pwned') };
    const err = await pool.tick(tampered, { props: {}, blackboard: {} }).catch((e: unknown) => e);
    expect(isBtreePluginsError(err, 'IntegrityError')).toBe(true);
  });

  it('keeps at most maxIsolates isolates, disposing the least recently used', async () => {
    const pool = trackedPool({ maxIsolates: 2 });
    const bundle = await bundleOf(CLASS_NODE, 'Counter');
    for (const t of ['t1', 't2', 't1', 't3']) await pool.tick(forTenant(bundle, t), { props: {}, blackboard: {} });
    expect(await pool.stats()).toMatchObject({ isolatesCreated: 3, isolatesDisposed: 1, liveIsolates: 2 });
    await pool.tick(forTenant(bundle, 't1'), { props: {}, blackboard: {} });
    expect((await pool.stats()).isolatesCreated).toBe(3);
  });

  it('keeps the memory its idle isolates hold inside the budget while many tenants allocate (idle garbage hoarding)', async () => {
    // Each tick leaves about 6 MB of garbage in its isolate, which an idle isolate keeps until it
    // ticks again: 20 tenants would hold about 160 MB. The budget is 48 MiB.
    // A generous CPU limit: the point is memory, and a loaded machine's scheduler must not turn
    // the 60,000 pushes into a CPU-limit failure (isolated-vm's timeouts are wall-clock).
    const pool = trackedPool({ memoryBudgetMb: 48, limits: { cpuTimeMs: 2_000 } });
    const hoarder = await bundleOf(
      `import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
      export default class Hoarder extends ActionNode { async executeTick(ctx: any) {
        const junk: string[] = []; for (let i = 0; i < 60_000; i++) junk.push('x'.repeat(40) + i);
        this.setOutput(ctx, 'kept', junk.length); return NodeStatus.SUCCESS; } }`,
      'Hoarder',
    );
    const budget = 48 * 1024 * 1024;
    for (let round = 0; round < 2; round++) {
      for (let t = 0; t < 20; t++) {
        expect(await pool.tick(forTenant(hoarder, `t${t}`), { props: {}, blackboard: {} })).toMatchObject({ status: 'SUCCESS', writes: { kept: 60_000 } });
        const s = await pool.stats();
        expect(s.heldBytes).toBeLessThanOrEqual(budget);
        // heapBytes is read afresh from every live isolate, not taken from the book-keeping.
        expect(s.heapBytes).toBeLessThanOrEqual(budget);
      }
    }
    const s = await pool.stats();
    expect(s.memoryBudgetBytes).toBe(budget);
    expect(s.budgetEvictions).toBeGreaterThan(10);
    expect(s.liveIsolates).toBeLessThan(20);
  });

  it('refuses a memory budget below one isolate, saying how to size it', () => {
    expect(() => trackedPool({ memoryBudgetMb: 4 })).toThrow(/memoryBudgetMb must be a number of MiB, at least 8, got 4.*HINT: size it as idle isolates kept/);
  });

  it('applies per-tenant limits over the host’s', async () => {
    const pool = trackedPool({ limits: { logLines: 100 }, tenants: { tiny: { limits: { logLines: 1 } } } });
    const bundle = await bundleOf(CLASS_NODE, 'Counter');
    expect((await pool.tick(bundle, { props: {}, blackboard: {} })).status).toBe('RUNNING');
    const tiny = await pool.tick(forTenant(bundle, 'tiny'), { props: {}, blackboard: {} });
    expect(tiny.status).toBe('RUNNING');
    expect(pool.limitsFor('tiny').logLines).toBe(1);
    expect(pool.limitsFor('acme').logLines).toBe(100);
  });

  it('rate-limits guest lines forwarded to the host logger and reports how many were dropped', async () => {
    const logger = memoryLogger();
    const pool = trackedPool({ logger, limits: { logRatePerSecond: 3 } });
    const bundle = await bundleOf(`import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
      export default class Chatty extends ActionNode { async executeTick() { for (let i = 0; i < 10; i++) console.log('line', i); return NodeStatus.SUCCESS; } }`, 'Chatty');
    const outcome = await pool.tick(bundle, { props: {}, blackboard: {} });
    expect(outcome.logs).toHaveLength(10);
    expect(logger.lines.map((l) => l[1])).toEqual(['line 0', 'line 1', 'line 2']);
    await new Promise((r) => setTimeout(r, 400));
    await pool.tick(bundle, { props: {}, blackboard: {} });
    expect(logger.lines[3]).toMatchObject(['warn', '7 guest log lines were dropped by the rate limit', { dropped: 7 }]);
  });

  it('evicts one tenant’s isolate on request; the next tick rebuilds it', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(CLASS_NODE, 'Counter');
    await pool.tick(bundle, { props: {}, blackboard: {} });
    expect((await pool.stats()).heapBytes).toBeGreaterThan(0);
    await pool.evict('acme');
    expect(await pool.stats()).toMatchObject({ isolatesCreated: 1, isolatesDisposed: 1, liveIsolates: 0, heapBytes: 0 });
    expect((await pool.tick(bundle, { props: {}, blackboard: { count: 5 } })).writes).toEqual({ count: 6 });
    expect((await pool.stats()).isolatesCreated).toBe(2);
  });

  it('rejects host input that JSON cannot carry, saying which part', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(CLASS_NODE, 'Counter');
    await expect(pool.tick(bundle, { props: {}, blackboard: { n: 1n } as never })).rejects.toThrow(/the blackboard is not JSON-serializable.*HINT: pass a JSON-safe copy/);
  });

  it('refuses to work after dispose', async () => {
    const pool = trackedPool();
    await pool.dispose();
    const bundle = await bundleOf(CLASS_NODE, 'Counter');
    await expect(pool.tick(bundle, { props: {}, blackboard: {} })).rejects.toThrow(/disposed/);
  });
});

describe('SandboxPool with the loader', () => {
  it('runs the seed SendSlackMessage as compiled by compileNode', async () => {
    const { compileNode } = await import('../../src/loader/compile.js');
    const compiled = await compileNode({ name: 'SendSlackMessage', version: '1.0.0', source: seedSource() });
    const sent: unknown[] = [];
    const pool = trackedPool({ capabilities: { sendSlackMessage: (_ctx, channel, message) => void sent.push([channel, message]) } });
    const bundle = { tenantId: 'acme', node: 'SendSlackMessage', version: '1.0.0', code: compiled.bundle, sourceMap: compiled.sourceMap, sha256: compiled.sha256 };
    expect(await pool.inspect(bundle)).toEqual({ category: 'action', ports: [] });
    const outcome = await pool.tick(bundle, { props: { channel: '#c', message: 'for {{who}}' }, blackboard: { who: 'bob' } });
    expect(outcome.status).toBe('SUCCESS');
    expect(sent).toEqual([['#c', 'for bob']]);
  });
});
