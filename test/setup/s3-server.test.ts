import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { request, type ClientRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Storage } from '../../src/storage-adapters/s3.js';
import { s3Buckets, type TestBuckets } from './buckets.js';
import { s3TestServer } from './servers/env.js';
import { S3_ENV, startMotoServer } from './servers/s3-server.js';
import type { TestServer } from './servers/types.js';

// A moto of this file's own, started by this test process (not the shared one from the global
// setup): the first test blocks this process's event loop, as a benchmark harness using
// spawnSync did when the server froze.
let moto: TestServer;
let endpoint: string;
let buckets: TestBuckets<S3ClientConfig>;

/** Rejects with `message` unless `work` settles within `ms` (a liveness bound, not a timing assertion). */
function within<T>(ms: number, message: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, bound]).finally(() => clearTimeout(timer));
}

beforeAll(async () => {
  moto = await startMotoServer(() => {});
  endpoint = moto.env[S3_ENV.endpoint]!;
  buckets = s3Buckets(s3TestServer(moto.env));
}, 60_000);

afterAll(async () => {
  await buckets?.close();
  await moto?.stop();
});

describe('moto (S3 test server) stays answering', () => {
  it('answers 400 mixed requests (1 MiB puts, gets of absent keys, lists) while the process that started it blocks its event loop', async () => {
    const bucket = await buckets.create('s3-server');
    const rounds = 80;
    const fixture = fileURLToPath(new URL('./fixtures/s3-mixed-load.ts', import.meta.url));
    // spawnSync blocks this process, which started moto; the old setup froze after ~270 requests.
    const run = spawnSync(process.execPath, ['--import', 'tsx', fixture, endpoint, bucket, String(rounds)], {
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    const summary = run.stdout.trim().split('\n').at(-1) ?? '';
    expect(run.signal, `the load run did not finish (the server stopped answering?); its stderr:\n${run.stderr.slice(-2000)}`).toBeNull();
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(summary)).toEqual({ requests: rounds * 5, absent: rounds, bigRoundTrips: rounds, created: rounds, listed: rounds });
  }, 60_000);

  it('a client stalled mid-upload does not stop it answering other clients', async () => {
    const bucket = await buckets.create('s3-server');
    const storage = new S3Storage({ bucket, client: buckets.config(), retry: { attempts: 1 } });
    // Announce 1 MiB, send a quarter, then go quiet: the server is left reading this body.
    const url = new URL(`/${bucket}/stalled`, endpoint);
    const stalled: ClientRequest = request(url, { method: 'PUT', headers: { 'content-length': String(1024 * 1024) } });
    stalled.on('error', () => {});
    const sent = new Promise<void>((resolve) => stalled.write(Buffer.alloc(256 * 1024), () => resolve()));
    try {
      await sent;
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the server start on it
      const others = (async () => {
        await storage.put('doc', new TextEncoder().encode('v1'));
        const got = await storage.get('doc');
        const absent = await storage.get('absent');
        const keys: string[] = [];
        for await (const entry of storage.list('')) keys.push(entry.key);
        return { got: new TextDecoder().decode(got?.body), absent, keys };
      })();
      const outcome = await within(15_000, 'the server did not answer other clients while one upload was stalled', others);
      expect(outcome).toEqual({ got: 'v1', absent: undefined, keys: ['doc'] });
    } finally {
      stalled.destroy();
      await storage.dispose();
    }
  }, 30_000);
});
