/**
 * Runs a node's declarative tests (node-tests.ts) through a {@link NodeHarness} and says, field by
 * field, what differed from each case's expectation.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { NodeHarness, NodeRunResult } from './node-harness.js';
import type { NodeTestExpectation, NodeTests } from './node-tests.js';

/** How one case went. */
export interface NodeTestCaseResult {
  name: string;
  passed: boolean;
  /** What did not match, one line each. */
  failures: string[];
  result: NodeRunResult;
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
