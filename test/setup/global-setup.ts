/**
 * Vitest global setup: starts the real servers the suites need (S3: moto[server], GCS:
 * fake-gcs-server, Temporal: the CLI's dev server, PostgreSQL: a throwaway cluster) on 127.0.0.1,
 * in parallel, and exposes their addresses to the test processes through environment variables
 * (test forks inherit `process.env`). It also points the default Python snapshot cache
 * (`BTREE_PLUGINS_CACHE_DIR`) at a temp directory. Servers named by BTREE_PLUGINS_S3_ENDPOINT,
 * BTREE_PLUGINS_GCS_ENDPOINT, TEMPORAL_ADDRESS or BTREE_PLUGINS_POSTGRES_URL are used instead. A server that cannot be had fails the run; nothing is skipped.
 * See docs/testing.md.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAllServers } from './servers/start-all.js';

export default async function setup(): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[test servers] ${line}`);
  const running = await startAllServers(log);
  for (const server of running.servers) log(server.origin);
  Object.assign(process.env, running.env);
  // The Python snapshot cache is on by default in a per-user directory: tests never write to the
  // real one. Every engine a test makes without cacheDir (and every child process) uses this.
  process.env.BTREE_PLUGINS_CACHE_DIR ??= join(tmpdir(), 'btree-plugins-test-cache');
  return () => running.stopAll();
}
