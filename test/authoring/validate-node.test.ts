/**
 * `validateNode`: every check the registry makes on an upload, as diagnostics with severities and
 * code frames; and the declarative node tests' shape check and comparisons.
 */
import { describe, expect, it } from 'vitest';
import { validateNode } from '../../src/authoring/validate-node.js';
import { checkNodeTests, defineNodeTests } from '../../src/authoring/node-tests.js';
import { runNodeTests } from '../../src/authoring/run-node-tests.js';
import { NodeHarness } from '../../src/authoring/node-harness.js';

const GOOD = `import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';
export default defineNode({ name: 'Good', props: z.object({ n: z.number().int() }), tick(ctx) { ctx.blackboard.set('n', ctx.props.n + 1); return NodeStatus.SUCCESS; } });
`;
const CLASS_NODE = `import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
export default class Plain extends ActionNode { async executeTick() { return NodeStatus.SUCCESS; } }
`;

describe('validateNode', () => {
  it('a good node: ok, its metadata and sizes', async () => {
    const report = await validateNode({ name: 'Good', files: { 'good.ts': GOOD }, entry: 'good.ts' });
    expect(report.ok).toBe(true);
    expect(report.diagnostics).toEqual([]);
    expect(report.metadata).toMatchObject({ category: 'action', propsSchema: { type: 'object', required: ['n'] } });
    expect(report.sizes).toMatchObject({ files: 1, sourceBytes: GOOD.length });
    expect(report.sizes!.bundleBytes).toBeGreaterThan(100);
    expect(report.sizes!.propsSchemaChars).toBeGreaterThan(20);
  });

  it('a syntax error: one error with its code frame', async () => {
    const report = await validateNode({ name: 'Good', files: { 'good.ts': GOOD.replace('+ 1', '+') }, entry: 'good.ts' });
    expect(report.ok).toBe(false);
    expect(report.diagnostics).toEqual([expect.objectContaining({ severity: 'error', kind: 'syntax', file: 'good.ts', line: 2, frame: expect.stringMatching(/> 2 \|.*\n.*\^/) })]);
    expect(report.metadata).toBeUndefined();
  });

  it('a name that is not PascalCase is refused before compiling', async () => {
    const report = await validateNode({ name: 'good_node', files: { 'good.ts': GOOD }, entry: 'good.ts' });
    expect(report.diagnostics).toEqual([expect.objectContaining({ severity: 'error', kind: 'name' })]);
  });

  it('a node without a props schema: a warning, which fails only when strict', async () => {
    const loose = await validateNode({ name: 'Plain', files: { 'plain.ts': CLASS_NODE }, entry: 'plain.ts' });
    expect(loose.ok).toBe(true);
    expect(loose.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', kind: 'props-schema' })]);
    const strict = await validateNode({ name: 'Plain', files: { 'plain.ts': CLASS_NODE }, entry: 'plain.ts', strict: true });
    expect(strict.ok).toBe(false);
  });

  it("scan findings are warnings, and errors where the target's policy blocks them", async () => {
    const source = GOOD.replace("ctx.blackboard.set('n'", "ctx.log.info(eval('1')); ctx.blackboard.set('n'");
    const warned = await validateNode({ name: 'Good', files: { 'good.ts': source }, entry: 'good.ts' });
    const finding = warned.diagnostics.find((d) => d.kind === 'scan');
    expect(finding).toMatchObject({ severity: 'warning', rule: 'dynamic-code', file: 'good.ts', line: 2, frame: expect.stringContaining('eval') });
    expect(warned.ok).toBe(true);
    const blocked = await validateNode({ name: 'Good', files: { 'good.ts': source }, entry: 'good.ts', blockOn: { rules: ['dynamic-code'] } });
    expect(blocked.ok).toBe(false);
    expect(blocked.diagnostics.find((d) => d.kind === 'scan')).toMatchObject({ severity: 'error', rule: 'dynamic-code' });
  });

  it('a bundle over the target\'s size limit is an error naming the limit', async () => {
    const report = await validateNode({ name: 'Good', files: { 'good.ts': GOOD }, entry: 'good.ts', compileLimits: { maxBundleBytes: 200 } });
    expect(report.ok).toBe(false);
    expect(report.diagnostics).toEqual([expect.objectContaining({ severity: 'error', kind: 'limit', rule: 'maxBundleBytes' })]);
  });

  it('a module that exports no node: an inspect error with the fix', async () => {
    const report = await validateNode({ name: 'Odd', files: { 'odd.ts': 'export default 42;\n' }, entry: 'odd.ts' });
    expect(report.ok).toBe(false);
    expect(report.diagnostics).toEqual([expect.objectContaining({ severity: 'error', kind: 'inspect', hint: expect.stringContaining('export default') })]);
  });
});

describe('node tests', () => {
  it('refuses a test file that checks nothing, or repeats a case name', () => {
    expect(() => checkNodeTests({ cases: [] }, 'a.test.ts')).toThrow(/a\.test\.ts: `cases` must be a non-empty array/);
    expect(() => defineNodeTests({ cases: [{ name: 'x' }] })).toThrow(/case "x" checks nothing/);
    expect(() => defineNodeTests({ cases: [{ name: 'x', expect: {} }, { name: 'x', expect: {} }] })).toThrow(/two cases are named "x"/);
    expect(() => checkNodeTests(undefined, 'b.test.ts')).toThrow(/b\.test\.ts: the default export is not an object/);
  });

  it('says what differed, field by field, and runs extra checks', async () => {
    const harness = await NodeHarness.load({ source: GOOD, name: 'Good' });
    try {
      const results = await runNodeTests(harness, {
        cases: [
          { name: 'right', props: { n: 1 }, expect: { status: 'SUCCESS', writes: { n: 2 }, calls: [], deletes: [] } },
          { name: 'wrong', props: { n: 1 }, expect: { status: 'FAILURE', writes: { n: 3 }, error: /boom/ } },
          { name: 'checked', props: { n: 1 }, check: (r) => { if (r.writes.n !== 5) throw new Error(`n is ${String(r.writes.n)}`); } },
          { name: 'bad props', props: { n: 1.5 }, expect: { status: 'FAILURE', error: 'n must be integer' } },
        ],
      });
      expect(results.map((r) => [r.name, r.passed])).toEqual([['right', true], ['wrong', false], ['checked', false], ['bad props', true]]);
      expect(results[1]!.failures).toEqual(['status: expected FAILURE, got SUCCESS', 'writes: expected {"n":3}, got {"n":2}', 'error: expected /boom/, got no error']);
      expect(results[2]!.failures).toEqual(['check: n is 2']);
    } finally {
      await harness.dispose();
    }
  });
});
