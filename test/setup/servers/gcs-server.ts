/**
 * The GCS test server: fake-gcs-server with its in-memory backend, or the server named by
 * BTREE_PLUGINS_GCS_ENDPOINT.
 */
import { ensureBinary, TOOLS } from './binaries.js';
import { httpAnswers, startProcess } from './process.js';
import { withFreePort } from './retry-port.js';
import type { SetupLog, TestServer } from './types.js';

export const GCS_ENV = { endpoint: 'BTREE_PLUGINS_GCS_ENDPOINT' } as const;

/** Uses the GCS server named in the environment, or starts fake-gcs-server. */
export async function startGcsServer(log: SetupLog): Promise<TestServer> {
  const endpoint = process.env[GCS_ENV.endpoint];
  if (endpoint) {
    if (!(await httpAnswers(`${endpoint.replace(/\/+$/, '')}/storage/v1/b`, 5_000))) {
      throw new Error(`the GCS server at ${GCS_ENV.endpoint}=${endpoint} does not answer. HINT: start it, or unset the variable to let the tests start fake-gcs-server`);
    }
    return { name: 'gcs', origin: `using ${endpoint}`, env: { [GCS_ENV.endpoint]: endpoint }, stop: async () => {} };
  }

  const binary = await ensureBinary(TOOLS.fakeGcs, log);
  return withFreePort(async (port) => {
    const url = `http://127.0.0.1:${port}`;
    const proc = await startProcess({
      name: 'fake-gcs-server',
      command: binary,
      args: [
        '-scheme', 'http',
        '-host', '127.0.0.1',
        '-port', String(port),
        '-backend', 'memory',
        '-public-host', `127.0.0.1:${port}`,
        '-external-url', url,
        '-log-level', 'warn',
      ],
      ready: () => httpAnswers(`${url}/storage/v1/b`),
    });
    return {
      name: 'gcs',
      origin: `started fake-gcs-server ${TOOLS.fakeGcs.version} at ${url}`,
      env: { [GCS_ENV.endpoint]: url },
      stop: () => proc.stop(),
    };
  });
}
