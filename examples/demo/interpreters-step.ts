/**
 * Demo step 5: the seed's data-processing workflow — `HttpRequest` (a host-provided node) GETs data
 * from a local server, `PythonInterpreter` computes mean/std/count with `statistics`, `HttpRequest`
 * POSTs the stats back — then a one-line `JavaScriptInterpreter` tree.
 *
 * @module
 */
import type { PluginHost } from '../../src/index.js';
import { createHttpRequestNode, httpRequestMetadata } from '../host-nodes/http-request.js';
import type { DemoBtree } from './btree.js';
import { startDataServer } from './data-server.js';
import { describeFailure } from './custom-nodes-step.js';
import { say, show } from './print.js';
import { dataProcessingYaml } from '../seed-workflows.js';

/** The values the local server serves: mean 5, population std 2, count 8. */
export const DEMO_VALUES = [2, 4, 4, 4, 5, 5, 7, 9] as const;

/** Runs the data-processing workflow; throws unless the server received the stats. */
export async function dataProcessingStep(host: PluginHost, btree: DemoBtree, tenant: string): Promise<void> {
  const server = await startDataServer(DEMO_VALUES);
  try {
    show('local data server', `${server.origin} (GET /data -> ${DEMO_VALUES.length} items, POST /results)`);
    const yaml = dataProcessingYaml(server.origin, 'python');
    const registry = new btree.Registry();
    btree.registerStandardNodes(registry);
    // The host's own node: registered directly, like any native node of the host.
    registry.register('HttpRequest', createHttpRequestNode(btree, { allowedOrigins: [server.origin] }), httpRequestMetadata);
    const registered = await host.registerNodes(registry, tenant, { yaml });
    show('registerNodes', registered.registered.map((r) => r.type).join(', '));

    const started = Date.now();
    const root = btree.loadTreeFromYaml(yaml, registry);
    const result = await new btree.BehaviorTree(root).toWorkflow()({ input: {}, treeRegistry: registry });
    show('status', `${result.status} in ${Date.now() - started} ms (includes starting Pyodide in its isolate)`);
    show('processedData', result.output.processedData);
    show('server received POST /results', server.received);
    if (result.status !== 'SUCCESS') throw new Error(`data-processing ended ${result.status}: ${describeFailure(root)}`);
    if (server.received.length !== 1) throw new Error(`the server received ${server.received.length} POSTs, expected 1`);
  } finally {
    await server.close();
  }
}

/** A one-line JavaScriptInterpreter tree. */
export const JAVASCRIPT_ONE_LINER_YAML = `
type: JavaScriptInterpreter
id: order-total
props:
  outputKey: total
  timeout: 500ms
  script: "result = order.items.reduce((sum, item) => sum + item.qty * item.price, 0)"
`;

/** Runs the one-line JavaScriptInterpreter example. */
export async function javascriptStep(host: PluginHost, btree: DemoBtree, tenant: string): Promise<void> {
  const registry = new btree.Registry();
  await host.registerNodes(registry, tenant, { yaml: JAVASCRIPT_ONE_LINER_YAML });
  const input = { order: { items: [{ qty: 2, price: 9.5 }, { qty: 1, price: 21 }] } };
  const root = btree.loadTreeFromYaml(JAVASCRIPT_ONE_LINER_YAML, registry);
  say(`  script: result = order.items.reduce((sum, item) => sum + item.qty * item.price, 0)`);
  const result = await new btree.BehaviorTree(root).toWorkflow()({ input, treeRegistry: registry });
  show('status', result.status);
  show('total', result.output.total);
  if (result.status !== 'SUCCESS') throw new Error(`order-total ended ${result.status}: ${describeFailure(root)}`);
}
