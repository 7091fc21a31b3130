/**
 * Starts (or finds) every test server in parallel. If one cannot be had, the others are stopped
 * again and the setup fails with every reason: the suites never run against a missing server.
 */
import { startGcsServer } from './gcs-server.js';
import { startPostgresServer } from './postgres-server.js';
import { startRedisServer } from './redis-server.js';
import { startS3Server } from './s3-server.js';
import { startTemporalServer } from './temporal-server.js';
import type { SetupLog, TestServer } from './types.js';

/** Servers that are up, with one function that stops them all. */
export interface RunningServers {
  servers: TestServer[];
  env: Record<string, string>;
  stopAll(): Promise<void>;
}

/** Starts S3, GCS, Temporal, PostgreSQL and Redis test servers in parallel. */
export async function startAllServers(log: SetupLog): Promise<RunningServers> {
  const starters = [startS3Server, startGcsServer, startTemporalServer, startPostgresServer, startRedisServer];
  const results = await Promise.allSettled(starters.map((start) => start(log)));
  const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
  };
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length) {
    await stopAll();
    const reasons = failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n\n');
    throw new Error(`the test servers could not be started (the tests need them; they are never skipped):\n\n${reasons}`);
  }
  return { servers, env: Object.assign({}, ...servers.map((s) => s.env)) as Record<string, string>, stopAll };
}
