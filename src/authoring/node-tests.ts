/**
 * Declarative tests of a node: cases of props, blackboard and capability stubs with the outcome
 * each must have. `btree-plugins test` runs them through the harness (run-node-tests.ts), so a
 * node's tests need no test framework and run offline, in the production sandbox.
 *
 * Pure (no Node module): `./testing`, which exports it, stays bundleable into Temporal workflows.
 *
 * @module
 */
import type { JsonValue } from '../binding-core/types.js';
import { InvalidInputError } from '../errors.js';
import type { CapabilityStub, NodeRunResult } from './node-harness.js';

/** What a case's tick must produce; each field given is checked, the rest are not. */
export interface NodeTestExpectation {
  status?: 'SUCCESS' | 'FAILURE' | 'RUNNING';
  /** Exactly these blackboard writes (key → value). */
  writes?: Record<string, JsonValue>;
  /** Exactly these deleted keys. */
  deletes?: string[];
  /** Exactly these capability calls, in order: `[name, ...args]`. */
  calls?: Array<[string, ...JsonValue[]]>;
  /** The error: a text it contains, or a pattern it matches. */
  error?: string | RegExp;
  /** The limit the tick must break (`cpuTimeMs`, `memory`, …). */
  limit?: string;
}

/** One case. */
export interface NodeTestCase {
  name: string;
  props?: Record<string, JsonValue>;
  blackboard?: Record<string, JsonValue>;
  /** Capability stubs over the suite's. */
  capabilities?: Record<string, CapabilityStub>;
  expect?: NodeTestExpectation;
  /** More checks on the result: throw to fail the case. */
  check?(result: NodeRunResult): void | Promise<void>;
}

/** The default export of a node's `.test.ts` file. */
export interface NodeTests {
  /** Capability stubs every case gets. */
  capabilities?: Record<string, CapabilityStub>;
  cases: NodeTestCase[];
}

/**
 * Declares a node's tests (checks their shape; returns them unchanged).
 *
 * @example
 * ```ts
 * import { defineNodeTests } from '@wayfarer-ai/btree-plugins/testing';
 *
 * export default defineNodeTests({
 *   capabilities: { sendSlackMessage: { ok: true } },
 *   cases: [
 *     {
 *       name: 'posts the message',
 *       props: { channel: '#ops', message: 'hi' },
 *       expect: { status: 'SUCCESS', calls: [['sendSlackMessage', '#ops', 'hi']] },
 *     },
 *   ],
 * });
 * ```
 */
export function defineNodeTests(tests: NodeTests): NodeTests {
  return checkNodeTests(tests, 'defineNodeTests');
}

/** Checks the shape of a test file's default export; `where` names it in the error. */
export function checkNodeTests(tests: unknown, where: string): NodeTests {
  const bad = (detail: string): never => {
    throw new InvalidInputError('invalid node tests', `${where}: ${detail}`, {
      hint: 'export default defineNodeTests({ cases: [{ name, props, blackboard, expect: { status } }] })',
    });
  };
  if (!tests || typeof tests !== 'object') return bad('the default export is not an object');
  const t = tests as Partial<NodeTests>;
  if (!Array.isArray(t.cases) || t.cases.length === 0) return bad('`cases` must be a non-empty array');
  const names = new Set<string>();
  t.cases.forEach((c, i) => {
    if (!c || typeof c !== 'object') bad(`case ${i + 1} is not an object`);
    if (typeof c.name !== 'string' || c.name.trim() === '') bad(`case ${i + 1} has no name`);
    if (names.has(c.name)) bad(`two cases are named ${JSON.stringify(c.name)}`);
    names.add(c.name);
    if (c.expect === undefined && c.check === undefined) bad(`case ${JSON.stringify(c.name)} checks nothing: give it \`expect\` or \`check\``);
  });
  return t as NodeTests;
}
