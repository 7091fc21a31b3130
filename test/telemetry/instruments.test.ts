/**
 * The rules behind the telemetry that need no sandbox: status and error code of each way a run ends,
 * the cardinality caps, and failures of the runner, the hook or the SDK itself. The real
 * OpenTelemetry SDK records; the runner is a plain object.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, RateLimitedError, StorageError } from '../../src/errors.js';
import type { NodeRunner, RunnableBundle, TickOutcome } from '../../src/sandbox/types.js';
import { PluginHost } from '../../src/plugin-host.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import * as testHost from '../../src/testing/index.js';
import { ATTRIBUTES as A, ExecutionTelemetry, type TelemetryOptions, METRICS, OVERFLOW_LABEL, resultOfError, resultOfScript, resultOfTick, type ExecutionEvent } from '../../src/telemetry/index.js';
import { otelHarness, pointsOf, type OtelHarness } from './otel-harness.js';

const harnesses: OtelHarness[] = [];
afterEach(async () => {
  for (const o of harnesses.splice(0)) await o.shutdown();
});

const ok: TickOutcome = { status: 'SUCCESS', writes: {}, deletes: [], logs: [] };
const bundle = (tenantId: string, node: string): RunnableBundle => ({ tenantId, node, version: '1.0.0', sha256: 'x', code: '' });
const runnerOf = (tick: NodeRunner['tick']): NodeRunner => ({ inspect: async () => ({ category: 'action', ports: [] }), tick, dispose: async () => {} });

function telemetry(options: ConstructorParameters<typeof ExecutionTelemetry>[0] = {}) {
  const otel = otelHarness();
  harnesses.push(otel);
  const events: ExecutionEvent[] = [];
  const warnings: string[] = [];
  const t = new ExecutionTelemetry({
    meter: otel.meterProvider.getMeter('test'),
    tracer: otel.tracerProvider.getTracer('test'),
    onExecution: (e) => events.push(e),
    logger: { info() {}, warn: (m) => warnings.push(m) },
    ...options,
  });
  return { t, otel, events, warnings };
}

describe('status and error code of each way a run ends', () => {
  it('names the broken limit, not a generic failure', () => {
    expect(resultOfTick({ ...ok, status: 'FAILURE', limit: 'memory' }, false)).toEqual({ status: 'limit', errorCode: 'memory' });
    expect(resultOfTick({ ...ok, status: 'FAILURE' }, false)).toEqual({ status: 'failure', errorCode: undefined });
    expect(resultOfTick({ ...ok, status: 'FAILURE' }, true)).toEqual({ status: 'failure', errorCode: 'cancelled' });
    expect(resultOfTick({ ...ok, status: 'RUNNING' }, false)).toEqual({ status: 'running', errorCode: undefined });
    expect(resultOfScript({ ok: false, error: { kind: 'memory', message: 'x' }, output: [] })).toEqual({ status: 'limit', errorCode: 'memory' });
    expect(resultOfScript({ ok: false, error: { kind: 'syntax', message: 'x' }, output: [] })).toEqual({ status: 'failure', errorCode: 'syntax' });
  });

  it('tells a rate-limited run from a host error, by name (errors cross realms)', () => {
    expect(resultOfError(new RateLimitedError('dailyQuota', 'acme', 'Probe', 1000, 'used up'))).toEqual({ status: 'rate-limited', errorCode: 'dailyQuota' });
    expect(resultOfError({ name: 'RateLimitedError', message: 'from another realm' })).toEqual({ status: 'rate-limited', errorCode: 'RateLimitedError' });
    expect(resultOfError(new StorageError('s3', 'get', 'connection refused', { retryable: true }))).toEqual({ status: 'error', errorCode: 'STORAGE_ERROR' });
    expect(resultOfError(new TypeError('boom'))).toEqual({ status: 'error', errorCode: 'TypeError' });
    expect(resultOfError('a string')).toEqual({ status: 'error', errorCode: 'Error' });
  });
});

describe('ExecutionTelemetry around a runner', () => {
  it('a runner that throws is reported as an error (span with the exception) and the error still reaches the caller', async () => {
    const { t, otel, events } = telemetry();
    await t.ready;
    const boom = new InvalidInputError('tick refused', 'bad bundle');
    await expect(t.tick(runnerOf(async () => Promise.reject(boom)), bundle('acme', 'Probe'), { props: {}, blackboard: {} })).rejects.toBe(boom);
    expect(events.map((e) => [e.status, e.errorCode, e.cpuMs])).toEqual([['error', 'INVALID_INPUT', undefined]]);
    const [span] = otel.spans();
    expect(span!.status.code).toBe(2);
    expect(span!.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('a run refused by a rate limit is counted in rate_limited with the limit, and as an execution', async () => {
    const { t, otel, events } = telemetry();
    await t.ready;
    const refusal = new RateLimitedError('runsPerSecond', 'acme', 'Probe', 200, 'over 5 runs per second');
    await expect(t.tick(runnerOf(async () => Promise.reject(refusal)), bundle('acme', 'Probe'), { props: {}, blackboard: {} })).rejects.toBe(refusal);
    t.refused('python', 'acme', 'PythonInterpreter', undefined, new RateLimitedError('concurrent', 'acme', 'PythonInterpreter', 50, 'busy'));
    expect(events.map((e) => [e.kind, e.status, e.errorCode])).toEqual([
      ['custom-node', 'rate-limited', 'runsPerSecond'],
      ['python', 'rate-limited', 'concurrent'],
    ]);
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.rateLimited)).map((p) => [p.attributes[A.kind], p.attributes[A.limit], p.value])).toEqual([
      ['custom-node', 'runsPerSecond', 1],
      ['python', 'concurrent', 1],
    ]);
    expect(pointsOf(metrics.get(METRICS.executions), { [A.status]: 'rate-limited' })).toHaveLength(2);
  });

  it('a broken metrics SDK (an instrument that throws) does not fail the tick; the hook still runs', async () => {
    const throwing = { add: () => {}, record: () => { throw new Error('exporter down'); } };
    const meter = {
      createCounter: () => throwing,
      createHistogram: () => throwing,
      createObservableGauge: () => ({}),
      createObservableCounter: () => ({}),
      addBatchObservableCallback: () => {},
      removeBatchObservableCallback: () => {},
    };
    const { t, events, warnings } = telemetry({ meter, tracer: undefined });
    await t.ready;
    expect(await t.tick(runnerOf(async () => ok), bundle('acme', 'Probe'), { props: {}, blackboard: {} })).toBe(ok);
    expect(events).toHaveLength(1);
    expect(warnings.join('\n')).toContain('exporter down');
  });
});

describe('bounded cardinality', () => {
  it('tenants past maxTenants share the _other label on metrics, while events and spans keep the real tenant', async () => {
    const { t, otel, events } = telemetry({ maxTenants: 2 });
    await t.ready;
    const runner = runnerOf(async () => ok);
    for (const tenant of ['t1', 't2', 't3', 't4', 't1']) await t.tick(runner, bundle(tenant, 'Probe'), { props: {}, blackboard: {} });
    const metrics = await otel.metrics();
    const byTenant = Object.fromEntries(pointsOf(metrics.get(METRICS.executions)).map((p) => [p.attributes[A.tenant], p.value]));
    expect(byTenant).toEqual({ t1: 2, t2: 1, [OVERFLOW_LABEL]: 2 });
    expect(events.map((e) => e.tenantId)).toEqual(['t1', 't2', 't3', 't4', 't1']);
    expect(otel.spans().map((s) => s.attributes[A.tenant])).toEqual(['t1', 't2', 't3', 't4', 't1']);
  });

  it("nodeAttribute: 'none' leaves the node off metrics (one series per tenant and kind); maxNodes caps node series", async () => {
    const none = telemetry({ nodeAttribute: 'none' });
    await none.t.ready;
    const runner = runnerOf(async () => ok);
    for (const node of ['A', 'B', 'C']) await none.t.tick(runner, bundle('acme', node), { props: {}, blackboard: {} });
    const points = pointsOf((await none.otel.metrics()).get(METRICS.executions));
    expect(points.map((p) => [p.attributes, p.value])).toEqual([[{ [A.tenant]: 'acme', [A.kind]: 'custom-node', [A.status]: 'success' }, 3]]);

    const capped = telemetry({ maxNodes: 2 });
    await capped.t.ready;
    for (const node of ['A', 'B', 'C', 'D']) await capped.t.tick(runner, bundle('acme', node), { props: {}, blackboard: {} });
    const nodes = pointsOf((await capped.otel.metrics()).get(METRICS.executions)).map((p) => [p.attributes[A.node], p.value]);
    expect(nodes).toEqual([['A', 1], ['B', 1], [OVERFLOW_LABEL, 2]]);
  });

  it("histogramAttributes: 'tenant' breaks the histograms down by tenant too (per-tenant percentiles); the caps still hold", async () => {
    const { t, otel } = telemetry({ histogramAttributes: 'tenant', maxTenants: 2 });
    await t.ready;
    const runner = runnerOf(async (_b, input) => {
      input.onUsage?.({ cpuMs: 2, wallMs: 3, heapBytes: undefined });
      return ok;
    });
    for (const [tenant, node] of [['t1', 'A'], ['t1', 'B'], ['t2', 'A'], ['t3', 'A']] as const) await t.tick(runner, bundle(tenant, node), { props: {}, blackboard: {} });
    const metrics = await otel.metrics();
    const count = (p: { value: unknown }) => (p.value as { count: number }).count;
    expect(pointsOf(metrics.get(METRICS.tickDuration)).map((p) => [p.attributes, count(p)])).toEqual([
      [{ [A.tenant]: 't1' }, 2],
      [{ [A.tenant]: 't2' }, 1],
      [{ [A.tenant]: OVERFLOW_LABEL }, 1],
    ]);
    t.refused('python', 't2', 'PythonInterpreter', undefined, new RateLimitedError('concurrent', 't2', 'PythonInterpreter', 50, 'busy'));
    expect(pointsOf((await otel.metrics()).get(METRICS.scriptDuration)).map((p) => [p.attributes, count(p)])).toEqual([[{ [A.tenant]: 't2', [A.kind]: 'python' }, 1]]);
    expect(pointsOf(metrics.get(METRICS.tickCpuTime)).map((p) => [p.attributes, count(p), (p.value as { sum: number }).sum])).toEqual([
      [{ [A.tenant]: 't1' }, 2, 4],
      [{ [A.tenant]: 't2' }, 1, 2],
      [{ [A.tenant]: OVERFLOW_LABEL }, 1, 2],
    ]);
    // Per node, CPU sums exactly what each tick reported.
    expect(pointsOf(metrics.get(METRICS.nodeCpuTime)).map((p) => [p.attributes[A.tenant], p.attributes[A.node], p.value])).toEqual([
      ['t1', 'A', 2],
      ['t1', 'B', 2],
      ['t2', 'A', 2],
      [OVERFLOW_LABEL, 'A', 2],
    ]);
  });

  it('by default the histograms are host-wide, whatever the tenants: custom-node ticks without attributes, scripts by language', async () => {
    const { t, otel } = telemetry();
    await t.ready;
    const runner = runnerOf(async () => ok);
    for (const tenant of ['t1', 't2', 't3']) await t.tick(runner, bundle(tenant, `Node${tenant}`), { props: {}, blackboard: {} });
    t.refused('python', 't1', 'PythonInterpreter', undefined, new RateLimitedError('concurrent', 't1', 'PythonInterpreter', 50, 'busy'));
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.tickDuration)).map((p) => [p.attributes, (p.value as { count: number }).count])).toEqual([[{}, 3]]);
    expect(pointsOf(metrics.get(METRICS.scriptDuration)).map((p) => [p.attributes, (p.value as { count: number }).count])).toEqual([[{ [A.kind]: 'python' }, 1]]);
    // No CPU was reported (the runner gave no usage, the refusal never ran): no CPU histogram point, no CPU sum.
    expect(pointsOf(metrics.get(METRICS.tickCpuTime))).toEqual([]);
    expect(pointsOf(metrics.get(METRICS.nodeCpuTime))).toEqual([]);
    expect(pointsOf(metrics.get(METRICS.nodeTime))).toHaveLength(4);
  });

  it('refuses a bad cap when the host is made, not on the first tick (even with telemetry otherwise off)', () => {
    const host = (telemetry: TelemetryOptions) => () => new PluginHost({ btree: testHost, storage: new MemoryStorage(), telemetry });
    expect(host({ openTelemetry: true, maxTenants: 0 })).toThrow(InvalidInputError);
    expect(host({ maxTenants: 0 })).toThrow('telemetry.maxTenants must be a positive integer');
    expect(host({ nodeAttribute: 'version' as never })).toThrow("telemetry.nodeAttribute must be 'name' or 'none'");
    expect(host({ heapSampleEvery: -1 })).toThrow('telemetry.heapSampleEvery');
    expect(host({ histogramAttributes: 'node' as never })).toThrow("telemetry.histogramAttributes must be 'kind' or 'tenant', got \"node\"");
  });
});
