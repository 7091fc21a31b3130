/**
 * Test plumbing for the Temporal suites: a client and a worker connection to the dev server the
 * global setup started (TEMPORAL_ADDRESS), the test workflows bundled once per file, quiet logs.
 */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { temporalTestServer } from '../../setup/servers/env.js';

/** Path of the test workflows module. */
export const TEST_WORKFLOWS = fileURLToPath(new URL('../fixtures/workflows.ts', import.meta.url));

let runtimeInstalled = false;

/** Silences the SDK's info logs (a failing test still shows its assertion). */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed by another suite in this process
  }
}

/** Everything a test file needs to talk to Temporal. */
export interface TemporalHarness {
  client: Client;
  connection: NativeConnection;
  namespace: string;
  workflowBundle: { code: string };
  /** A worker on a fresh task queue, with the test workflows and the given activities. */
  worker(options: Partial<WorkerOptions> & { activities: object }): Promise<Worker>;
  close(): Promise<void>;
}

/** Connects to the test server and bundles the test workflows (no `ignoreModules`). */
export async function temporalHarness(): Promise<TemporalHarness> {
  quietRuntime();
  const { address, namespace } = temporalTestServer();
  const [clientConnection, connection, bundle] = await Promise.all([
    Connection.connect({ address }),
    NativeConnection.connect({ address }),
    bundleWorkflowCode({ workflowsPath: TEST_WORKFLOWS, logger: new DefaultLogger('ERROR') }),
  ]);
  const client = new Client({ connection: clientConnection, namespace });
  const workflowBundle = { code: bundle.code };
  return {
    client,
    connection,
    namespace,
    workflowBundle,
    worker: (options) =>
      Worker.create({
        connection,
        namespace,
        taskQueue: options.taskQueue ?? `btree-plugins-${Math.random().toString(36).slice(2)}`,
        workflowBundle,
        // Short throttle: cancellation reaches an activity through its heartbeats.
        defaultHeartbeatThrottleInterval: '200ms',
        maxHeartbeatThrottleInterval: '200ms',
        ...options,
      }),
    close: async () => {
      await clientConnection.close();
      await connection.close();
    },
  };
}

/** A unique workflow id for a test. */
export function workflowId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
