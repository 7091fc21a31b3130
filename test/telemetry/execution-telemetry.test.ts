/**
 * Execution telemetry end to end: a `PluginHost` with the real sandbox (inline isolates) and the real
 * OpenTelemetry SDK (in-memory exporters). Each test pins one hazard: an execution that is not
 * reported, or reported with the wrong attributes, or a telemetry failure that reaches the tick.
 */
import { readFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PluginHost, type PluginHostOptions } from '../../src/plugin-host.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { createPluginActivities } from '../../src/temporal/activities.js';
import { ATTRIBUTES, METRICS, type ExecutionEvent } from '../../src/telemetry/index.js';
import { hostName, loadBtree, type SuiteBtree } from '../setup/btree-module.js';
import { runTenantTree } from '../setup/run-tree.js';
import { otelHarness, pointsOf, type OtelHarness } from './otel-harness.js';

const PROBE = readFileSync(new URL('../fixtures/nodes/probe-node.ts', import.meta.url), 'utf8');
const A = ATTRIBUTES;

let btree: SuiteBtree;
beforeAll(async () => {
  btree = await loadBtree();
});

const hosts: PluginHost[] = [];
const harnesses: OtelHarness[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.dispose();
  for (const o of harnesses.splice(0)) await o.shutdown();
});

interface Setup {
  host: PluginHost;
  otel: OtelHarness;
  events: ExecutionEvent[];
  warnings: string[];
}

/** A host with the real sandbox and SDK; `spans: false` gives it metrics only (ticks then report from inside the pool). */
async function setup(extra: Partial<PluginHostOptions> = {}, { spans = true } = {}): Promise<Setup> {
  const otel = otelHarness();
  harnesses.push(otel);
  const events: ExecutionEvent[] = [];
  const warnings: string[] = [];
  const host = new PluginHost({
    btree,
    storage: new MemoryStorage(),
    registry: { requireApproval: false },
    execution: { isolation: 'inline' },
    limits: { cpuTimeMs: 50 },
    interpreters: { javascript: true },
    logger: { info() {}, warn: (m) => warnings.push(m) },
    onExecution: (e) => events.push(e),
    telemetry: { meter: otel.meterProvider.getMeter('test'), ...(spans ? { tracer: otel.tracerProvider.getTracer('test') } : {}) },
    ...extra,
  });
  hosts.push(host);
  await host.registry.publish('acme', { name: 'Probe', version: '1.0.0', source: PROBE });
  await host.registry.activate('acme', 'Probe', '1.0.0');
  return { host, otel, events, warnings };
}

const probeTree = (mode: string) => `type: Probe\nid: probe\nprops:\n  mode: ${mode}\n`;

/** Ticks the probe once in a tree; checks it succeeded and was reported once, with its CPU; returns its event. */
async function oneSuccessfulTick({ host, events }: Pick<Setup, 'host' | 'events'>): Promise<ExecutionEvent> {
  const { result } = await runTenantTree(host, btree, 'acme', probeTree('ok'));
  expect(result.status).toBe('SUCCESS');
  expect(events).toHaveLength(1);
  const e = events[0]!;
  expect(e).toMatchObject({ tenantId: 'acme', node: 'Probe', version: '1.0.0', kind: 'custom-node', status: 'success', errorCode: undefined });
  expect(e.durationMs).toBeGreaterThan(0);
  expect(e.cpuMs).toBeGreaterThan(0); // from the tick's own CPU accounting
  expect(e.cpuMs!).toBeLessThanOrEqual(e.durationMs);
  return e;
}
const series = { [A.tenant]: 'acme', [A.node]: 'Probe', [A.kind]: 'custom-node' };

describe(`execution telemetry (${hostName}, real OpenTelemetry SDK)`, () => {
  it('reports a successful tick once: event, execution count, time and CPU per node, duration and CPU histograms, span', async () => {
    const { otel, ...rest } = await setup();
    const e = await oneSuccessfulTick(rest);

    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.executions), { ...series, [A.status]: 'success' }).map((p) => p.value)).toEqual([1]);
    // Per node: the time and CPU spent, exactly the event's (counted in process, reported at collection).
    expect(pointsOf(metrics.get(METRICS.nodeTime)).map((p) => [p.attributes, p.value])).toEqual([[series, e.durationMs]]);
    expect(pointsOf(metrics.get(METRICS.nodeCpuTime)).map((p) => [p.attributes, p.value])).toEqual([[series, e.cpuMs]]);
    expect(metrics.get(METRICS.nodeTime)?.descriptor.unit).toBe('ms');
    // The tick histograms, host-wide (the default): the SDK hashes no attribute on the tick's path.
    const duration = pointsOf(metrics.get(METRICS.tickDuration));
    expect(duration.map((p) => [p.attributes, (p.value as { count: number; sum: number }).count, (p.value as { sum: number }).sum])).toEqual([[{}, 1, e.durationMs]]);
    expect(metrics.get(METRICS.tickDuration)?.descriptor.unit).toBe('ms');
    expect(pointsOf(metrics.get(METRICS.tickCpuTime)).map((p) => [p.attributes, (p.value as { count: number; sum: number }).count, (p.value as { sum: number }).sum])).toEqual([[{}, 1, e.cpuMs]]);
    expect(metrics.has(METRICS.scriptDuration)).toBe(false); // no script ran
    // Versions stay off metrics (one series per node, not per release).
    expect(metrics.get(METRICS.executions)!.dataPoints.every((p) => !(A.version in p.attributes))).toBe(true);

    const spans = otel.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.name).toBe('btree_plugins.custom-node');
    expect(spans[0]!.attributes).toMatchObject({ ...series, [A.version]: '1.0.0', [A.status]: 'success' });
    expect(spans[0]!.status.code).toBe(0); // UNSET: not an error
  });

  it('reports a failing tick as failure, its span as an error, without the guest’s own error text', async () => {
    const { host, otel, events } = await setup();
    const { result } = await runTenantTree(host, btree, 'acme', probeTree('fail'));
    expect(result.status).toBe('FAILURE');
    expect(events.map((e) => [e.status, e.errorCode])).toEqual([['failure', undefined]]);
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.executions), { ...series, [A.status]: 'failure' }).map((p) => p.value)).toEqual([1]);
    expect(pointsOf(metrics.get(METRICS.limitBreaches))).toEqual([]);
    const [span] = otel.spans();
    expect(span!.status).toEqual({ code: 2, message: 'failure' });
  });

  it('counts a CPU-limit breach as a limit breach naming the limit, on the event, the counter and the span', async () => {
    const { host, otel, events } = await setup();
    const { result } = await runTenantTree(host, btree, 'acme', probeTree('spin'));
    expect(result.status).toBe('FAILURE');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: 'limit', errorCode: 'cpuTimeMs', kind: 'custom-node' });
    expect(events[0]!.cpuMs).toBeGreaterThanOrEqual(50);
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.limitBreaches), { ...series, [A.limit]: 'cpuTimeMs' }).map((p) => p.value)).toEqual([1]);
    expect(pointsOf(metrics.get(METRICS.executions), { ...series, [A.status]: 'limit' }).map((p) => p.value)).toEqual([1]);
    const [span] = otel.spans();
    expect(span!.status).toEqual({ code: 2, message: 'cpuTimeMs' });
    expect(span!.attributes[A.errorCode]).toBe('cpuTimeMs');
  });

  it('reports an interpreter run with the interpreter type as node, its language as kind, and no version', async () => {
    const { host, otel, events } = await setup();
    const yaml = 'type: Sequence\nchildren:\n  - type: JavaScriptInterpreter\n    id: ok\n    props:\n      script: "result = 1 + 1"\n  - type: JavaScriptInterpreter\n    id: broken\n    props:\n      script: "throw new Error(\'no\')"\n';
    const { result } = await runTenantTree(host, btree, 'acme', yaml);
    expect(result.status).toBe('FAILURE');
    expect(events.map((e) => [e.kind, e.node, e.version, e.status, e.errorCode, e.cpuMs])).toEqual([
      ['javascript', 'JavaScriptInterpreter', undefined, 'success', undefined, undefined],
      ['javascript', 'JavaScriptInterpreter', undefined, 'failure', 'runtime', undefined],
    ]);
    const js = { [A.tenant]: 'acme', [A.node]: 'JavaScriptInterpreter', [A.kind]: 'javascript' };
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.executions), js).map((p) => [p.attributes[A.status], p.value])).toEqual([
      ['success', 1],
      ['failure', 1],
    ]);
    expect(otel.spans().map((s) => [s.name, s.attributes[A.node], s.attributes[A.tenant], s.status.code])).toEqual([
      ['btree_plugins.javascript', 'JavaScriptInterpreter', 'acme', 0],
      ['btree_plugins.javascript', 'JavaScriptInterpreter', 'acme', 2],
    ]);
  });

  it('counts an interpreter limit (timeout) as a limit breach', async () => {
    const { host, otel, events } = await setup();
    const yaml = 'type: JavaScriptInterpreter\nid: loop\nprops:\n  timeout: 100ms\n  script: "for (;;) {}"\n';
    await runTenantTree(host, btree, 'acme', yaml);
    expect(events.map((e) => [e.status, e.errorCode])).toEqual([['limit', 'timeout']]);
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.limitBreaches), { [A.kind]: 'javascript', [A.limit]: 'timeout' }).map((p) => p.value)).toEqual([1]);
  });

  it('reports a run the rate limits refuse (it never reaches the sandbox) as rate-limited, naming the limit', async () => {
    const { host, otel, events } = await setup({ rateLimits: { nodes: { Probe: { runsPerSecond: 1, burst: 1 } }, interpreters: { javascript: { dailyQuota: 1 } } } });
    const yaml = 'type: Sequence\nchildren:\n  - type: Probe\n    props: { mode: ok }\n  - type: Probe\n    props: { mode: ok }\n';
    const { result } = await runTenantTree(host, btree, 'acme', yaml);
    expect(result.status).toBe('FAILURE');
    const js = 'type: JavaScriptInterpreter\nid: s\nprops:\n  script: "result = 1"\n';
    await runTenantTree(host, btree, 'acme', js);
    await runTenantTree(host, btree, 'acme', js);
    expect(events.map((e) => [e.kind, e.node, e.status, e.errorCode])).toEqual([
      ['custom-node', 'Probe', 'success', undefined],
      ['custom-node', 'Probe', 'rate-limited', 'runsPerSecond'],
      ['javascript', 'JavaScriptInterpreter', 'success', undefined],
      ['javascript', 'JavaScriptInterpreter', 'rate-limited', 'dailyQuota'],
    ]);
    expect(events[1]!.cpuMs).toBeUndefined();
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.rateLimited)).map((p) => [p.attributes[A.node], p.attributes[A.limit], p.value])).toEqual([
      ['Probe', 'runsPerSecond', 1],
      ['JavaScriptInterpreter', 'dailyQuota', 1],
    ]);
    expect(otel.spans().filter((s) => s.attributes[A.status] === 'rate-limited').map((s) => s.status)).toEqual([
      { code: 2, message: 'runsPerSecond' },
      { code: 2, message: 'dailyQuota' },
    ]);
  });

  it('a throwing onExecution hook does not fail the tick, and is logged once, not per tick', async () => {
    const { host, warnings } = await setup({
      onExecution: () => {
        throw new Error('hook exploded');
      },
    });
    for (let i = 0; i < 3; i++) {
      const { result } = await runTenantTree(host, btree, 'acme', probeTree('ok'));
      expect(result.status).toBe('SUCCESS');
    }
    expect(warnings.filter((w) => w.includes('hook exploded'))).toHaveLength(1);
  });

  it('a rejecting async hook is not awaited by the tick and leaves no unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const { host, warnings } = await setup({ onExecution: (async () => { await gate; throw new Error('late hook failure'); }) as never });
      const { result } = await runTenantTree(host, btree, 'acme', probeTree('ok'));
      expect(result.status).toBe('SUCCESS'); // the tick returned while the hook was still pending
      release();
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).not.toHaveBeenCalled();
      expect(warnings.some((w) => w.includes('late hook failure'))).toBe(true);
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('reads the heap only on sampled ticks (no V8 heap call per tick by default), and on every tick when asked', async () => {
    const { host, events } = await setup();
    const runner = await host.nodeRunner();
    const bundle = await host.registry.loadBundle('acme', 'Probe', '1.0.0');
    for (let i = 0; i < 32; i++) await runner.tick(bundle, { props: { mode: 'ok' }, blackboard: {} });
    const sampled = events.map((e, i) => [i + 1, e.heapBytes !== undefined] as const).filter(([, has]) => has).map(([n]) => n);
    expect(sampled).toEqual([16, 32]);
    expect(events.every((e) => typeof e.cpuMs === 'number')).toBe(true);

    const every = await setup({ telemetry: { heapSampleEvery: 1 } });
    const r2 = await every.host.nodeRunner();
    await r2.tick(await every.host.registry.loadBundle('acme', 'Probe', '1.0.0'), { props: { mode: 'ok' }, blackboard: {} });
    expect(every.events[0]!.heapBytes).toBeGreaterThan(100_000);
  });

  it('CPU and the sampled heap come back from a worker-thread shard too (the default isolation)', async () => {
    const { host, events } = await setup({ execution: { isolation: 'thread', threads: 1 }, telemetry: { heapSampleEvery: 2 } });
    const runner = await host.nodeRunner();
    const bundle = await host.registry.loadBundle('acme', 'Probe', '1.0.0');
    for (let i = 0; i < 4; i++) await runner.tick(bundle, { props: { mode: 'ok' }, blackboard: {} });
    expect(events.map((e) => [typeof e.cpuMs, e.heapBytes === undefined ? 'no heap' : 'heap'])).toEqual([
      ['number', 'no heap'],
      ['number', 'heap'],
      ['number', 'no heap'],
      ['number', 'heap'],
    ]);
  });

  it('passes the binding’s blackboard texts through to the sandbox and never makes the object copy or the whole text (telemetry must not slow the tick)', async () => {
    const { host, events } = await setup();
    const runner = await host.nodeRunner();
    const bundle = await host.registry.loadBundle('acme', 'Probe', '1.0.0');
    const copy = { source: {}, keys: ['mode'], keyTexts: ['"mode"'], texts: ['"x"'], bytes: 12, json: '{"mode":"x"}' };
    let read = 0;
    let textRead = 0;
    const input = {
      props: { mode: 'ok' },
      get blackboard(): Record<string, never> {
        read++;
        throw new Error('the blackboard object was made');
      },
      blackboardTexts: copy,
      get blackboardJson(): string {
        textRead++;
        return copy.json;
      },
      propsJson: '{"mode":"ok"}',
    };
    for (let i = 0; i < 2; i++) expect((await runner.tick(bundle, input)).status).toBe('SUCCESS');
    expect(read).toBe(0);
    expect(textRead).toBe(0);
    expect(events).toHaveLength(2);
  });

  it('still hands a caller that asked for usage (the playground) its heap, whatever the sampling', async () => {
    const { host } = await setup({ telemetry: { heapSampleEvery: 0 } });
    const runner = await host.nodeRunner();
    let heap: number | undefined;
    await runner.tick(await host.registry.loadBundle('acme', 'Probe', '1.0.0'), { props: { mode: 'ok' }, blackboard: {}, onUsage: (u) => (heap = u.heapBytes) });
    expect(heap).toBeGreaterThan(100_000);
  });

  it('observes the sandbox pool: live isolates, created, disposed and budget evictions, per isolation tier', async () => {
    const idle = otelHarness();
    harnesses.push(idle);
    hosts.push(new PluginHost({ btree, storage: new MemoryStorage(), execution: { isolation: 'inline' }, telemetry: { meter: idle.meterProvider.getMeter('idle') } }));
    expect((await idle.metrics()).has(METRICS.isolates)).toBe(false); // no runner yet: the gauges must not create one

    const { host, otel } = await setup();
    await runTenantTree(host, btree, 'acme', probeTree('ok'));
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.isolates), { [A.isolation]: 'inline' }).map((p) => p.value)).toEqual([1]);
    expect(pointsOf(metrics.get(METRICS.isolatesCreated), { [A.isolation]: 'inline' }).map((p) => p.value)).toEqual([1]);
    expect(pointsOf(metrics.get(METRICS.isolatesDisposed), { [A.isolation]: 'inline' }).map((p) => p.value)).toEqual([0]);
    expect(pointsOf(metrics.get(METRICS.budgetEvictions), { [A.isolation]: 'inline' }).map((p) => p.value)).toEqual([0]);
    expect(pointsOf(metrics.get(METRICS.heldMemory), { [A.isolation]: 'inline' })[0]!.value).toBeGreaterThan(0);
    expect(metrics.get(METRICS.heldMemory)!.descriptor.unit).toBe('By');
  });

  it('reports a tick run by the Temporal activity once, through the host’s runner', async () => {
    const { host, events } = await setup();
    const activities = createPluginActivities(host);
    const bundle = await host.registry.loadBundle('acme', 'Probe', '1.0.0');
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR', () => {}) });
    const outcome = await env.run(activities.btreePluginsRunNodeTick, { tenantId: 'acme', name: 'Probe', version: '1.0.0', sha256: bundle.sha256, props: { mode: 'ok' }, blackboard: {} });
    expect(outcome).toMatchObject({ status: 'SUCCESS' });
    expect(events.map((e) => [e.kind, e.node, e.status])).toEqual([['custom-node', 'Probe', 'success']]);
  });

  it('a host that asks for no telemetry gets the bare runner: nothing is wrapped on the hot path', async () => {
    const host = new PluginHost({ btree, storage: new MemoryStorage(), execution: { isolation: 'inline' } });
    hosts.push(host);
    const runner = await host.nodeRunner();
    expect(runner.constructor.name).toBe('TieredRunner');
  });
});

describe(`the in-process pool reports its own ticks (${hostName}; metrics without spans: no wrapper around the tick)`, () => {
  const metricsOnly = (extra: Partial<PluginHostOptions> = {}) => setup(extra, { spans: false });

  it('reports a successful tick once, with its CPU: event, execution count, duration and CPU histograms', async () => {
    const { otel, ...rest } = await metricsOnly();
    const e = await oneSuccessfulTick(rest);
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.executions), { ...series, [A.status]: 'success' }).map((p) => p.value)).toEqual([1]);
    expect(pointsOf(metrics.get(METRICS.tickDuration)).map((p) => [(p.value as { count: number }).count, (p.value as { sum: number }).sum])).toEqual([[1, e.durationMs]]);
    expect(pointsOf(metrics.get(METRICS.tickCpuTime)).map((p) => [(p.value as { count: number }).count, (p.value as { sum: number }).sum])).toEqual([[1, e.cpuMs]]);
    expect(otel.spans()).toEqual([]);
  });

  it('reports a failing tick as failure and a CPU-limit breach as a limit naming it', async () => {
    const { host, otel, events } = await metricsOnly();
    expect((await runTenantTree(host, btree, 'acme', probeTree('fail'))).result.status).toBe('FAILURE');
    expect((await runTenantTree(host, btree, 'acme', probeTree('spin'))).result.status).toBe('FAILURE');
    expect(events.map((e) => [e.status, e.errorCode])).toEqual([
      ['failure', undefined],
      ['limit', 'cpuTimeMs'],
    ]);
    expect(events[1]!.cpuMs).toBeGreaterThanOrEqual(50);
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.limitBreaches), { ...series, [A.limit]: 'cpuTimeMs' }).map((p) => p.value)).toEqual([1]);
  });

  it('reports a tick the pool rejects (a tampered bundle) as an error, and the caller still gets the rejection', async () => {
    const { host, events } = await metricsOnly();
    const runner = await host.nodeRunner();
    const bundle = await host.registry.loadBundle('acme', 'Probe', '1.0.0');
    const err = await runner.tick({ ...bundle, code: bundle.code + '\n// changed' }, { props: { mode: 'ok' }, blackboard: {} }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('IntegrityError');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: 'error', kind: 'custom-node', cpuMs: undefined, heapBytes: undefined });
    expect(events[0]!.errorCode).toMatch(/integrity/i);
  });

  it('reads the heap only on sampled ticks, hands a caller that asked for usage its own report, and never reads the blackboard object', async () => {
    const { host, events } = await metricsOnly();
    const runner = await host.nodeRunner();
    const bundle = await host.registry.loadBundle('acme', 'Probe', '1.0.0');
    let read = 0;
    const input = {
      props: { mode: 'ok' },
      get blackboard(): Record<string, never> {
        read++;
        return {};
      },
      blackboardJson: '{}',
    };
    for (let i = 0; i < 32; i++) await runner.tick(bundle, input);
    expect(events.flatMap((e, i) => (e.heapBytes !== undefined ? [i + 1] : []))).toEqual([16, 32]);
    expect(events.every((e) => typeof e.cpuMs === 'number' && e.cpuMs > 0)).toBe(true);
    expect(read).toBe(0);
    const usage: Array<number | undefined> = [];
    await runner.tick(bundle, { props: { mode: 'ok' }, blackboard: {}, onUsage: (u) => usage.push(u.heapBytes) });
    expect(usage).toHaveLength(1);
    expect(usage[0]).toBeGreaterThan(100_000);
    expect(events).toHaveLength(33);
  });
});

describe('openTelemetry: true (the global providers of @opentelemetry/api)', () => {
  let api: typeof import('@opentelemetry/api');
  beforeAll(async () => {
    api = await import('@opentelemetry/api');
  });
  afterAll(() => {
    api.metrics.disable();
    api.trace.disable();
  });

  it('records into the globally registered SDK when the host only says openTelemetry: true', async () => {
    const otel = otelHarness();
    harnesses.push(otel);
    api.metrics.setGlobalMeterProvider(otel.meterProvider);
    api.trace.setGlobalTracerProvider(otel.tracerProvider);
    const { host } = await setup({ telemetry: { openTelemetry: true } });
    await runTenantTree(host, btree, 'acme', probeTree('ok'));
    const metrics = await otel.metrics();
    expect(pointsOf(metrics.get(METRICS.executions), { ...series, [A.status]: 'success' }).map((p) => p.value)).toEqual([1]);
    expect(otel.spans().map((s) => s.instrumentationScope.name)).toEqual(['@wayfarer-ai/btree-plugins']);
  });
});
