/**
 * Declarative tests of a node: cases of props, blackboard and capability stubs with the outcome
 * each must have. `btree-plugins test` runs them through the {@link NodeHarness}, so a node's tests
 * need no test framework and run offline, in the production sandbox.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { JsonValue } from '../binding-core/types.js';
import { InvalidInputError } from '../errors.js';
import type { CapabilityStub, NodeHarness, NodeRunResult } from './node-harness.js';

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

/** How one case went. */
export interface NodeTestCaseResult {
  name: string;
  passed: boolean;
  /** What did not match, one line each. */
  failures: string[];
  result: NodeRunResult;
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

/** Runs every case, one after another, through `harness`. */
export async function runNodeTests(harness: NodeHarness, tests: NodeTests): Promise<NodeTestCaseResult[]> {
  const out: NodeTestCaseResult[] = [];
  for (const c of tests.cases) {
    const result = await harness.run({
      ...(c.props ? { props: c.props } : {}),
      ...(c.blackboard ? { blackboard: c.blackboard } : {}),
      capabilities: { ...tests.capabilities, ...c.capabilities },
    });
    const failures = c.expect ? compare(c.expect, result) : [];
    if (c.check) {
      try {
        await c.check(result);
      } catch (e) {
        failures.push(`check: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    out.push({ name: c.name, passed: failures.length === 0, failures, result });
  }
  return out;
}

function compare(want: NodeTestExpectation, got: NodeRunResult): string[] {
  const failures: string[] = [];
  const show = (v: unknown): string => (v instanceof RegExp ? String(v) : JSON.stringify(v));
  if (want.status !== undefined && want.status !== got.status) {
    failures.push(`status: expected ${want.status}, got ${got.status}${got.error ? ` (${firstLine(got.error)})` : ''}`);
  }
  if (want.writes !== undefined && !isDeepStrictEqual(want.writes, got.writes)) failures.push(`writes: expected ${show(want.writes)}, got ${show(got.writes)}`);
  if (want.deletes !== undefined && !isDeepStrictEqual(want.deletes, got.deletes)) failures.push(`deletes: expected ${show(want.deletes)}, got ${show(got.deletes)}`);
  if (want.calls !== undefined) {
    const calls = got.capabilityCalls.map((c) => [c.name, ...c.args]);
    if (!isDeepStrictEqual(want.calls, calls)) failures.push(`calls: expected ${show(want.calls)}, got ${show(calls)}`);
  }
  if (want.error !== undefined) {
    const error = got.error ?? '';
    const ok = typeof want.error === 'string' ? error.includes(want.error) : want.error.test(error);
    if (!ok) failures.push(`error: expected ${show(want.error)}, got ${got.error === undefined ? 'no error' : show(firstLine(got.error))}`);
  }
  if (want.limit !== undefined && want.limit !== got.limit) failures.push(`limit: expected ${want.limit}, got ${got.limit ?? 'none broken'}`);
  return failures;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!;
}
