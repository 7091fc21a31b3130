/**
 * Vitest global setup: starts the real servers the suites need (S3: moto[server], GCS:
 * fake-gcs-server, Temporal: the CLI's dev server, PostgreSQL: a throwaway cluster) on 127.0.0.1,
 * in parallel, and exposes their addresses to the test processes through environment variables
 * (test forks inherit `process.env`). Servers named by BTREE_PLUGINS_S3_ENDPOINT,
 * BTREE_PLUGINS_GCS_ENDPOINT, TEMPORAL_ADDRESS or BTREE_PLUGINS_POSTGRES_URL are used instead. A server that cannot be had fails the run; nothing is skipped.
 * See docs/testing.md.
 */
import { startAllServers } from './servers/start-all.js';

export default async function setup(): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[test servers] ${line}`);
  const running = await startAllServers(log);
  for (const server of running.servers) log(server.origin);
  Object.assign(process.env, running.env);
  return () => running.stopAll();
}
