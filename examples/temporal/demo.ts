/**
 * The whole flow on a real Temporal server, in one process: publish the seed's two custom nodes for
 * tenant `acme`, start a worker with the plugin activities, run the notification tree and a
 * PythonInterpreter tree as workflows, print the results.
 *
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 node --no-node-snapshot --import tsx examples/temporal/demo.ts
 *
 * `runTemporalDemo` is what `npm run demo` calls when TEMPORAL_ADDRESS is set.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { NOTIFICATION_YAML, runTenantTree } from './client.js';
import { createExampleHost } from './host.js';
import { createExampleWorker } from './worker.js';

const seedNode = (file: string) => readFileSync(new URL(`../../test/fixtures/nodes/${file}`, import.meta.url), 'utf8');

const STATS_YAML = `
type: PythonInterpreter
id: process-data
props:
  outputKey: processedData
  timeout: 30s
  script: |
    import statistics
    values = [item['value'] for item in data]
    result = {'mean': statistics.mean(values), 'std': statistics.pstdev(values), 'count': len(values)}
`;

/** Runs the demo against the Temporal server at `address`. */
export async function runTemporalDemo(address: string, log: (line: string) => void = console.log): Promise<void> {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // a runtime is already installed
  }
  const host = createExampleHost(new MemoryStorage(), log);
  for (const [name, file] of [['SendSlackMessage', 'send-slack-message.ts'], ['CreateJiraTicket', 'create-jira-ticket.ts']] as const) {
    await host.registry.publish('acme', { name, version: '1.0.0', source: seedNode(file), author: 'demo' });
    await host.registry.approve('acme', name, '1.0.0', { by: 'reviewer' });
    await host.registry.activate('acme', name, '1.0.0', { by: 'demo' });
    log(`published, approved and activated acme/${name}@1.0.0`);
  }
  const taskQueue = `btree-plugins-demo-${Date.now()}`;
  const workerConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const worker = await createExampleWorker({ connection: workerConnection, taskQueue, host });
  try {
    await worker.runUntil(async () => {
      const notification = await runTenantTree(client, 'acme', NOTIFICATION_YAML, { orderId: 'A-42', customerEmail: 'ada@example.com' }, taskQueue);
      log(`notification workflow → ${JSON.stringify(notification)}`);
      const stats = await runTenantTree(client, 'acme', STATS_YAML, { data: [2, 4, 4, 4, 5, 5, 7, 9].map((value) => ({ value })) }, taskQueue);
      log(`python workflow → ${JSON.stringify(stats.output.processedData)}`);
      log(`usages of SendSlackMessage: ${JSON.stringify(await host.registry.usages('acme', 'SendSlackMessage'))}`);
    });
  } finally {
    await host.dispose();
    await workerConnection.close();
    await connection.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    console.error('set TEMPORAL_ADDRESS (e.g. start `temporal server start-dev` and use 127.0.0.1:7233)');
    process.exit(2);
  }
  runTemporalDemo(address).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
