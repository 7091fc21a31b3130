/**
 * The Temporal test server: the Temporal CLI's dev server (in-memory, no UI), or the server named
 * by TEMPORAL_ADDRESS.
 */
import { ensureBinary, TOOLS } from './binaries.js';
import { startProcess } from './process.js';
import { withFreePort } from './retry-port.js';
import type { SetupLog, TestServer } from './types.js';

export const TEMPORAL_ENV = { address: 'TEMPORAL_ADDRESS', namespace: 'TEMPORAL_NAMESPACE' } as const;

/** True when the frontend at `address` serves the `default` namespace. */
export async function temporalAnswers(address: string, namespace = 'default'): Promise<boolean> {
  const { Connection } = await import('@temporalio/client');
  let connection: Awaited<ReturnType<typeof Connection.connect>> | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000 });
    await connection.workflowService.describeNamespace({ namespace }, );
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}

/** Uses the Temporal server named in the environment, or starts `temporal server start-dev`. */
export async function startTemporalServer(log: SetupLog): Promise<TestServer> {
  const address = process.env[TEMPORAL_ENV.address];
  const namespace = process.env[TEMPORAL_ENV.namespace] || 'default';
  if (address) {
    if (!(await temporalAnswers(address, namespace))) {
      throw new Error(`the Temporal server at ${TEMPORAL_ENV.address}=${address} does not answer (namespace ${namespace}). HINT: start it, or unset the variable to let the tests start the dev server`);
    }
    return { name: 'temporal', origin: `using ${address}`, env: { [TEMPORAL_ENV.address]: address, [TEMPORAL_ENV.namespace]: namespace }, stop: async () => {} };
  }

  const binary = await ensureBinary(TOOLS.temporal, log);
  return withFreePort(async (port) => {
    const target = `127.0.0.1:${port}`;
    const proc = await startProcess({
      name: 'temporal dev server',
      command: binary,
      args: [
        'server', 'start-dev',
        '--headless',
        '--ip', '127.0.0.1',
        '--port', String(port),
        '--log-level', 'warn',
        // The user's CLI profile must not change the test server.
        '--disable-config-file', '--disable-config-env',
      ],
      ready: () => temporalAnswers(target),
      timeoutMs: 30_000,
    });
    return {
      name: 'temporal',
      origin: `started temporal dev server (CLI ${TOOLS.temporal.version}, in memory) at ${target}`,
      env: { [TEMPORAL_ENV.address]: target, [TEMPORAL_ENV.namespace]: 'default' },
      stop: () => proc.stop(),
    };
  });
}
