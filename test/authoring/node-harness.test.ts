/**
 * The author's harness (`NodeHarness`, `runNode` in ./testing): a node run in the production
 * sandbox with stubbed capabilities, reporting what the tick did and what it cost — and the
 * sandbox's usage report it reads the cost from.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';
import { NodeHarness, nodeNameOfFile, runNode } from '../../src/authoring/node-harness.js';
import type { TickUsage } from '../../src/sandbox/types.js';
import { bundleOf, trackedPool } from '../sandbox/helpers.js';

const GREET = `import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';
import { proxyActivities } from '@temporalio/workflow';
const { lookUp } = proxyActivities<{ lookUp(who: string): Promise<{ title: string }> }>({ startToCloseTimeout: '5s' });
export default defineNode({
  name: 'Greet',
  props: z.object({ greeting: z.string().min(1), outputKey: z.string().default('greeting') }),
  async tick(ctx) {
    const who = String(ctx.blackboard.get('who'));
    const { title } = await lookUp(who);
    ctx.log.info('greeting', who);
    ctx.blackboard.set(ctx.props.outputKey, \`\${ctx.props.greeting}, \${title} \${who}\`);
    ctx.blackboard.delete('who');
    return NodeStatus.SUCCESS;
  },
});
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btree-plugins-harness-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runNode', () => {
  it('reports status, writes, deletes, capability calls, logs and cost of one tick', async () => {
    const result = await runNode({
      source: GREET,
      name: 'Greet',
      props: { greeting: 'Hello' },
      blackboard: { who: 'Ada' },
      capabilities: { lookUp: (who) => ({ title: who === 'Ada' ? 'Countess' : 'Mx' }) },
    });
    expect(result).toMatchObject({
      status: 'SUCCESS',
      writes: { greeting: 'Hello, Countess Ada' },
      deletes: ['who'],
      capabilityCalls: [{ name: 'lookUp', args: ['Ada'], result: { title: 'Countess' } }],
      logs: [{ level: 'info', message: 'greeting Ada' }],
    });
    expect(result.error).toBeUndefined();
    expect(result.cost.cpuMs).toBeGreaterThan(0);
    expect(result.cost.wallMs).toBeGreaterThanOrEqual(result.cost.cpuMs * 0.5);
    expect(result.cost.heapBytes).toBeGreaterThan(1024 * 1024);
    expect(result.cost.bundleBytes).toBeGreaterThan(200);
  });

  it('a stub that is a value answers every call; one that throws fails the await inside the node', async () => {
    const value = await runNode({ source: GREET, props: { greeting: 'Hi' }, blackboard: { who: 'Bo' }, capabilities: { lookUp: { title: 'Dr' } } });
    expect(value.writes).toEqual({ greeting: 'Hi, Dr Bo' });
    const thrown = await runNode({
      source: GREET,
      props: { greeting: 'Hi' },
      blackboard: { who: 'Bo' },
      capabilities: {
        lookUp: () => {
          throw new Error('directory down');
        },
      },
    });
    expect(thrown.status).toBe('FAILURE');
    expect(thrown.capabilityCalls).toEqual([{ name: 'lookUp', args: ['Bo'], error: 'directory down' }]);
    expect(thrown.error).toContain('directory down');
  });

  it('checks props against the node\'s schema as a tree would, before anything runs', async () => {
    const result = await runNode({ source: GREET, props: { greeting: '' }, capabilities: { lookUp: { title: 'Dr' } } });
    expect(result.status).toBe('FAILURE');
    expect(result.error).toMatch(/^invalid props for Node: greeting must NOT have fewer than 1 characters/);
    expect(result.capabilityCalls).toEqual([]);
    expect(result.cost.cpuMs).toBe(0);
  });

  it('runs a file from disk with the files it imports, named after the file', async () => {
    await mkdir(join(dir, 'src', 'lib'), { recursive: true });
    await writeFile(join(dir, 'src', 'lib', 'shout.ts'), 'export const shout = (s: string): string => s.toUpperCase();\n');
    await writeFile(
      join(dir, 'src', 'shout-name.ts'),
      "import { defineNode, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';\nimport { shout } from './lib/shout.js';\n" +
        "export default defineNode({ name: 'ShoutName', tick(ctx) { ctx.blackboard.set('name', shout(String(ctx.blackboard.get('name')))); return NodeStatus.SUCCESS; } });\n",
    );
    await writeFile(join(dir, 'src', 'shout-name.test.ts'), 'this file is not part of the node and does not parse {');
    const harness = await NodeHarness.load({ file: join(dir, 'src', 'shout-name.ts') });
    try {
      expect(harness.compiled.name).toBe('ShoutName');
      expect(Object.keys(harness.compiled.sources).sort()).toEqual(['lib/shout.ts', 'shout-name.ts']);
      expect(await harness.run({ blackboard: { name: 'ada' } })).toMatchObject({ status: 'SUCCESS', writes: { name: 'ADA' } });
      // Runs are independent: a second tick sees only its own blackboard.
      expect(await harness.run({ blackboard: { name: 'bo' } })).toMatchObject({ writes: { name: 'BO' } });
    } finally {
      await harness.dispose();
    }
    await expect(harness.run()).rejects.toThrow(/disposed/);
  });

  it('refuses a node that imports a file outside its folder, and ambiguous input', async () => {
    await writeFile(join(dir, 'outside.ts'), 'export const x = 1;\n');
    await mkdir(join(dir, 'inner'), { recursive: true });
    await writeFile(join(dir, 'inner', 'node.ts'), "import { x } from '../outside.js';\nexport default class N { x = x; }\n");
    await expect(NodeHarness.load({ file: join(dir, 'inner', 'node.ts') })).rejects.toThrow(/imports .*outside\.ts, which is outside/);
    await expect(NodeHarness.load({ source: GREET, file: 'x.ts' })).rejects.toThrow(/source and file given together/);
    await expect(NodeHarness.load({ file: join(dir, 'missing.ts') })).rejects.toThrow(/does not exist/);
  });

  it('throws the compiler\'s located diagnostics for a node that does not compile', async () => {
    const e = await NodeHarness.load({ source: 'export default class X {', name: 'X' }).catch((x: unknown) => x);
    expect(isBtreePluginsError(e, 'CompileError')).toBe(true);
    expect((e as { diagnostics: Array<{ kind: string; line: number; frame: string }> }).diagnostics[0]).toMatchObject({ kind: 'syntax', line: 1, frame: expect.stringContaining('^') });
  });

  it('cpu hog: the tick breaks the given CPU limit and the cost says how much it used', async () => {
    const source = "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class Hog extends ActionNode { async executeTick() { const end = Date.now() + 2000; while (Date.now() < end) {} return NodeStatus.SUCCESS; } }\n";
    const result = await runNode({ source, name: 'Hog', limits: { cpuTimeMs: 40 } });
    expect(result.status).toBe('FAILURE');
    expect(result.limit).toBe('cpuTimeMs');
    expect(result.error).toMatch(/exceeded its 40 ms CPU time limit/);
    expect(result.cost.cpuMs).toBeGreaterThanOrEqual(35);
    // The breach disposed the isolate: no heap to report.
    expect(result.cost.heapBytes).toBeUndefined();
  });

  it('names a node after its file', () => {
    expect(nodeNameOfFile('src/send-slack-message.ts')).toBe('SendSlackMessage');
    expect(nodeNameOfFile('Greet.ts')).toBe('Greet');
    expect(nodeNameOfFile('9lives.ts')).toBe('Node');
  });
});

describe('the sandbox usage report (TickInput.onUsage)', () => {
  const FAST = "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class Fast extends ActionNode { async executeTick() { return NodeStatus.SUCCESS; } }\n";
  const SLOW = "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class Slow extends ActionNode { async executeTick() { const end = Date.now() + 30; while (Date.now() < end) {} return NodeStatus.SUCCESS; } }\n";

  it('is called once per tick with CPU, wall time and heap, and CPU grows with the work done', async () => {
    const pool = trackedPool();
    const reports: TickUsage[] = [];
    const fast = await bundleOf(FAST, 'Fast');
    const slow = await bundleOf(SLOW, 'Slow');
    for (const bundle of [fast, fast, slow]) {
      expect(await pool.tick(bundle, { props: {}, blackboard: {}, onUsage: (u) => reports.push(u) })).toMatchObject({ status: 'SUCCESS' });
    }
    expect(reports).toHaveLength(3);
    expect(reports[1]!.cpuMs).toBeGreaterThan(0);
    expect(reports[2]!.cpuMs).toBeGreaterThan(reports[1]!.cpuMs * 5);
    expect(reports[2]!.cpuMs).toBeGreaterThanOrEqual(25);
    for (const r of reports) {
      expect(r.wallMs).toBeGreaterThan(0);
      expect(r.heapBytes).toBeGreaterThan(0);
    }
    await pool.dispose();
  });

  it('a throwing callback does not fail the tick', async () => {
    const pool = trackedPool();
    const outcome = await pool.tick(await bundleOf(FAST, 'Fast'), {
      props: {},
      blackboard: {},
      onUsage: () => {
        throw new Error('reporting failed');
      },
    });
    expect(outcome.status).toBe('SUCCESS');
    await pool.dispose();
  });
});
