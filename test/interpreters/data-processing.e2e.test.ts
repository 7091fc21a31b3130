/**
 * End to end, with the real parts: the seed's `data-processing` workflow (custom-nodes-architecture.md,
 * Phase 2A) from YAML through the btree module under test (the test host, or `BTREE_MODULE`):
 * a host-provided `HttpRequest` node GETs data from a real HTTP server on 127.0.0.1 →
 * `PythonInterpreter` (Pyodide in isolated-vm) computes mean / std / count → `HttpRequest` POSTs
 * `stats` back. The interpreter nodes come from `PluginHost` + `registerNodes`, as a host gets them.
 *
 * "std" is the population standard deviation (`statistics.pstdev`), because the seed's `np.std`
 * defaults to ddof=0.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugin-host.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { startDataServer, type DataServer } from '../../examples/demo/data-server.js';
import { dataProcessingYaml } from '../../examples/seed-workflows.js';
import { createHttpRequestNode, httpRequestMetadata } from '../../examples/host-nodes/http-request.js';
import { hostName, loadBtree, type SuiteBtree } from '../setup/btree-module.js';

const VALUES = [3, 1.5, 4, 1, 5, 9, 2, 6, 5, 3.25];
const mean = VALUES.reduce((a, b) => a + b, 0) / VALUES.length;
const pstdev = Math.sqrt(VALUES.reduce((a, v) => a + (v - mean) ** 2, 0) / VALUES.length);

let btree: SuiteBtree;
/** `SuiteBtree` types `ActionNode` structurally (the real btree or the test host), so the registry's own constructor type is named here. */
type NodeCtor = Parameters<InstanceType<SuiteBtree['Registry']>['register']>[1];
beforeAll(async () => {
  btree = await loadBtree();
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(values: readonly number[] | unknown[], options: { allowedOrigins?: string[] } = {}) {
  const server: DataServer = await startDataServer(values as number[]);
  cleanups.push(() => server.close());
  const host = new PluginHost({ btree, storage: new MemoryStorage(), interpreters: { python: true, javascript: true } });
  cleanups.push(() => host.dispose());
  const registry = new btree.Registry();
  btree.registerStandardNodes(registry);
  registry.register('HttpRequest', createHttpRequestNode(btree, { allowedOrigins: options.allowedOrigins ?? [server.origin] }) as unknown as NodeCtor, httpRequestMetadata);
  return { server, host, registry };
}

async function run(setup: Awaited<ReturnType<typeof setUp>>, yaml: string) {
  const registered = await setup.host.registerNodes(setup.registry, 'acme', { yaml });
  const root = btree.loadTreeFromYaml(yaml, setup.registry);
  const result = await new btree.BehaviorTree(root).toWorkflow()({ input: {}, treeRegistry: setup.registry });
  const children = (root as unknown as { children: Array<{ id: string; lastError?: string }> }).children;
  return { registered, result, errors: Object.fromEntries(children.map((c) => [c.id, c.lastError])) };
}

function expectStats(value: unknown) {
  expect(value).toEqual({ mean: expect.any(Number), std: expect.any(Number), count: VALUES.length });
  const stats = value as { mean: number; std: number };
  expect(stats.mean).toBeCloseTo(mean, 12);
  expect(stats.std).toBeCloseTo(pstdev, 12);
}

describe(`the seed's data-processing workflow end to end (${hostName}, real HTTP server, real interpreters)`, () => {
  it('HttpRequest → PythonInterpreter (statistics.mean / pstdev / len) → HttpRequest posts the stats back', async () => {
    const setup = await setUp(VALUES);
    const { registered, result, errors } = await run(setup, dataProcessingYaml(setup.server.origin, 'python'));

    expect(registered.registered.map((r) => r.type)).toContain('PythonInterpreter');
    expect(errors).toEqual({ 'fetch-data': undefined, 'process-data': undefined, 'send-results': undefined });
    expect(result.status).toBe('SUCCESS');
    expectStats(result.output.processedData);
    // The server got exactly one POST whose `stats` is the Python result (the whole-string
    // placeholder "{{processedData}}" keeps the object, not its text).
    expect(setup.server.received).toHaveLength(1);
    expect(Object.keys(setup.server.received[0] as object)).toEqual(['stats']);
    expectStats((setup.server.received[0] as { stats: unknown }).stats);
    expect(result.output.httpResponse).toMatchObject({ status: 201, ok: true, data: { stored: true } });
  });

  it('the same workflow with JavaScriptInterpreter posts the same numbers', async () => {
    const setup = await setUp(VALUES);
    const { result, errors } = await run(setup, dataProcessingYaml(setup.server.origin, 'javascript'));

    expect(errors['process-data']).toBeUndefined();
    expect(result.status).toBe('SUCCESS');
    expect(setup.server.received).toHaveLength(1);
    expectStats((setup.server.received[0] as { stats: unknown }).stats);
  });

  it('a Python error fails the tree with the script line, and nothing is posted', async () => {
    // No data: the seed's script reaches statistics.mean([]) (line 9), which raises StatisticsError.
    const setup = await setUp([]);
    const { result, errors } = await run(setup, dataProcessingYaml(setup.server.origin, 'python'));

    expect(result.status).toBe('FAILURE');
    expect(errors['fetch-data']).toBeUndefined();
    expect(errors['process-data']).toMatch(/^PythonInterpreter failed: .*StatisticsError.*\(line 9\)$/s);
    expect(errors['send-results']).toBeUndefined();
    expect(setup.server.received).toEqual([]);
  });

  it('server-side request forgery: HttpRequest refuses an origin the host did not allow, before any request', async () => {
    const setup = await setUp(VALUES, { allowedOrigins: ['http://127.0.0.1:9'] });
    const { result, errors } = await run(setup, dataProcessingYaml(setup.server.origin, 'python'));

    expect(result.status).toBe('FAILURE');
    expect(errors['fetch-data']).toBe(`HttpRequest GET ${setup.server.origin}/data failed: origin ${setup.server.origin} is not in the host's allowedOrigins`);
    expect(errors['process-data']).toBeUndefined();
    expect(setup.server.received).toEqual([]);
  });
});
