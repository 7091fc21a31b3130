/**
 * Example client: starts a tenant's YAML tree as a workflow and prints the result.
 *
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 node --import tsx examples/temporal/client.ts
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { TASK_QUEUE } from './task-queue.js';
import type { TenantTreeResult, tenantTree } from './workflows.js';
import { NOTIFICATION_YAML } from '../seed-workflows.js';

/** The seed's notification tree (two tenant custom nodes). */
export { NOTIFICATION_YAML };

/** Runs one tenant tree to completion. */
export function runTenantTree(client: Client, tenantId: string, yaml: string, input: Record<string, unknown>, taskQueue = TASK_QUEUE): Promise<TenantTreeResult> {
  return client.workflow.execute<typeof tenantTree>('tenantTree', {
    taskQueue,
    workflowId: `${tenantId}-tree-${Date.now()}`,
    args: [{ tenantId, yaml, input }],
  });
}

async function main(): Promise<void> {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  const result = await runTenantTree(client, 'acme', NOTIFICATION_YAML, { orderId: 'A-42', customerEmail: 'ada@example.com' });
  console.log(JSON.stringify(result, null, 2));
  await connection.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
