/**
 * Example worker: the host's existing Temporal worker with the plugin activities spread in.
 *
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 node --no-node-snapshot --import tsx examples/temporal/worker.ts
 *
 * (isolated-vm needs `--no-node-snapshot` on Node 20+.) Tenant nodes are read from the fs store in
 * `BTREE_PLUGINS_STORE` (default `.btree-plugins-store`); publish them with the registry API.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { PluginHost } from '../../src/plugin-host.js';
import { FsStorage } from '../../src/storage-adapters/fs.js'; // '@wayfarer-ai/btree-plugins/storage/fs'
import { createPluginActivities } from '../../src/temporal/activities.js'; // '@wayfarer-ai/btree-plugins/temporal'
import { createHostActivities } from './host-activities.js';
import { createExampleHost } from './host.js';
import { TASK_QUEUE } from './task-queue.js';


/** Options of {@link createExampleWorker}. */
export interface ExampleWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  host: PluginHost;
}

/** Creates the worker: the host's workflows and activities, plus the plugin activities. */
export function createExampleWorker({ connection, namespace = 'default', taskQueue = TASK_QUEUE, host }: ExampleWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    // With the real btree (it imports fs/promises for loadTreeFromFile):
    // bundlerOptions: { ignoreModules: ['fs/promises'] },
    activities: { ...createHostActivities(), ...createPluginActivities(host) },
  });
}

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const host = createExampleHost(new FsStorage({ root: process.env.BTREE_PLUGINS_STORE ?? '.btree-plugins-store' }));
  const connection = await NativeConnection.connect({ address });
  const worker = await createExampleWorker({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default', host });
  process.once('SIGINT', () => worker.shutdown());
  process.once('SIGTERM', () => worker.shutdown());
  console.log(`worker polling ${TASK_QUEUE} at ${address}; Ctrl-C stops it`);
  await worker.run();
  await host.dispose();
  await connection.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
