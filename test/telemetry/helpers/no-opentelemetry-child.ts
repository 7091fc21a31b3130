/**
 * Run by test/telemetry/without-opentelemetry.test.ts in a process where `@opentelemetry/api`
 * cannot be found: a host asks for OpenTelemetry and an onExecution hook, ticks a node, and prints
 * what happened as one JSON line.
 */
import { PluginHost } from '../../../src/plugin-host.js';
import { MemoryStorage } from '../../../src/storage-adapters/memory.js';
import * as btree from '../../../src/testing/index.js';
import type { ExecutionEvent } from '../../../src/telemetry/index.js';
import type { NodeRunner } from '../../../src/sandbox/types.js';

const events: ExecutionEvent[] = [];
const warnings: string[] = [];
const runner: NodeRunner = {
  inspect: async () => ({ category: 'action', ports: [] }),
  tick: async () => ({ status: 'SUCCESS', writes: {}, deletes: [], logs: [] }),
  dispose: async () => {},
};
const importError = await import('@opentelemetry/api').then(
  () => undefined,
  (e: { code?: string }) => e.code,
);
const host = new PluginHost({
  btree,
  storage: new MemoryStorage(),
  runner,
  logger: { info() {}, warn: (m) => warnings.push(m) },
  onExecution: (e) => events.push(e),
  telemetry: { openTelemetry: true },
});
const observed = await host.nodeRunner();
const outcome = await observed.tick({ tenantId: 'acme', node: 'Probe', version: '1.0.0', sha256: 'x', code: '' }, { props: {}, blackboard: {} });
await host.dispose();
process.stdout.write(`${JSON.stringify({ importError, status: outcome.status, events, warnings })}\n`);
