/**
 * The S3 test server: moto[server] (default), versitygw serving a temporary directory with its
 * `posix` backend (BTREE_PLUGINS_S3_SERVER=versitygw), or the server named by
 * BTREE_PLUGINS_S3_ENDPOINT.
 *
 * Why moto by default: versitygw's posix backend maps keys to paths, so it cannot hold a key and
 * a key below it at once (`a` and `a/b` → 409 ObjectParentIsFile), which S3 allows and the
 * conformance suite checks. Its conditional writes did pass the race tests. moto runs through
 * moto-serialised.py (one lock around request handling, client I/O outside it, no per-request
 * log). See docs/testing.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBinary, TOOLS } from './binaries.js';
import { httpAnswers, startProcess } from './process.js';
import { ensureVenv, MOTO } from './python-venv.js';
import { withFreePort } from './retry-port.js';
import type { SetupLog, TestServer } from './types.js';

export const S3_ENV = {
  endpoint: 'BTREE_PLUGINS_S3_ENDPOINT',
  accessKey: 'BTREE_PLUGINS_S3_ACCESS_KEY',
  secretKey: 'BTREE_PLUGINS_S3_SECRET_KEY',
  region: 'BTREE_PLUGINS_S3_REGION',
  server: 'BTREE_PLUGINS_S3_SERVER',
} as const;

/** Uses the S3 server named in the environment, or starts moto (or versitygw, when chosen). */
export async function startS3Server(log: SetupLog): Promise<TestServer> {
  const endpoint = process.env[S3_ENV.endpoint];
  if (endpoint) {
    const accessKey = process.env[S3_ENV.accessKey];
    const secretKey = process.env[S3_ENV.secretKey];
    if (!accessKey || !secretKey) {
      throw new Error(`${S3_ENV.endpoint} is set, so ${S3_ENV.accessKey} and ${S3_ENV.secretKey} must be set too`);
    }
    if (!(await httpAnswers(endpoint, 5_000))) {
      throw new Error(`the S3 server at ${S3_ENV.endpoint}=${endpoint} does not answer. HINT: start it, or unset the variable to let the tests start their own`);
    }
    return {
      name: 's3',
      origin: `using ${endpoint}`,
      env: {
        [S3_ENV.endpoint]: endpoint,
        [S3_ENV.accessKey]: accessKey,
        [S3_ENV.secretKey]: secretKey,
        [S3_ENV.region]: process.env[S3_ENV.region] || 'us-east-1',
      },
      stop: async () => {},
    };
  }

  const which = process.env[S3_ENV.server] || 'moto';
  if (which === 'moto') return startMotoServer(log);
  if (which !== 'versitygw') throw new Error(`${S3_ENV.server} must be 'moto' or 'versitygw', got '${which}'`);
  return startVersitygw(log);
}

/** Starts a fresh moto[server] (requests serialised by moto-serialised.py) on a free port. */
export async function startMotoServer(log: SetupLog): Promise<TestServer> {
  const python = await ensureVenv(MOTO, log);
  const script = fileURLToPath(new URL('./moto-serialised.py', import.meta.url));
  return withFreePort(async (port) => {
    const url = `http://127.0.0.1:${port}`;
    const proc = await startProcess({
      name: 'moto (S3)',
      command: python,
      args: [script, '127.0.0.1', String(port)],
      ready: () => httpAnswers(`${url}/`),
      timeoutMs: 30_000,
    });
    return {
      name: 's3',
      origin: `started moto ${MOTO.version} (S3, requests serialised) at ${url}`,
      env: {
        [S3_ENV.endpoint]: url,
        // moto does not check signatures; any key pair works.
        [S3_ENV.accessKey]: 'moto-test',
        [S3_ENV.secretKey]: 'moto-test',
        [S3_ENV.region]: 'us-east-1',
      },
      stop: () => proc.stop(),
    };
  });
}

async function startVersitygw(log: SetupLog): Promise<TestServer> {
  const binary = await ensureBinary(TOOLS.versitygw, log);
  const root = await mkdtemp(join(tmpdir(), 'btree-plugins-versitygw-'));
  const accessKey = `test${randomBytes(6).toString('hex')}`;
  const secretKey = randomBytes(18).toString('hex');
  try {
    return await withFreePort(async (port) => {
      const url = `http://127.0.0.1:${port}`;
      const proc = await startProcess({
        name: 'versitygw',
        command: binary,
        args: [
          '--port', `127.0.0.1:${port}`,
          '--access', accessKey,
          '--secret', secretKey,
          '--region', 'us-east-1',
          '--health', '/health',
          '--quiet',
          'posix',
          root,
        ],
        ready: () => httpAnswers(`${url}/health`),
      });
      return {
        name: 's3',
        origin: `started versitygw ${TOOLS.versitygw.version} at ${url} (posix backend in ${root})`,
        env: {
          [S3_ENV.endpoint]: url,
          [S3_ENV.accessKey]: accessKey,
          [S3_ENV.secretKey]: secretKey,
          [S3_ENV.region]: 'us-east-1',
        },
        stop: async () => {
          await proc.stop();
          await rm(root, { recursive: true, force: true });
        },
      };
    });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
