/**
 * The test servers outside vitest.
 *
 *   npx tsx scripts/test-servers.ts prepare   build/install what the tests will start (Go binaries,
 *                                             the moto venv) into the cache, and the Debian tools
 *                                             the suites use (strace, chromium), with progress logs
 *   npx tsx scripts/test-servers.ts start     start them all, print `export …` lines, keep them
 *                                             running until Ctrl-C (point other shells' tests at them)
 *
 * See docs/testing.md.
 */
import { DEBIAN_TOOLS, ensureDebianTool } from '../test/setup/debian-tools.js';
import { ensureBinary, TOOLS } from '../test/setup/servers/binaries.js';
import { ensureVenv, MOTO } from '../test/setup/servers/python-venv.js';
import { ensurePostgresBinaries } from '../test/setup/servers/postgres-server.js';
import { ensureRedisBinary } from '../test/setup/servers/redis-server.js';
import { startAllServers } from '../test/setup/servers/start-all.js';

const log = (line: string) => console.log(`[test servers] ${line}`);

async function prepare(): Promise<void> {
  const s3 = process.env.BTREE_PLUGINS_S3_ENDPOINT ? undefined : process.env.BTREE_PLUGINS_S3_SERVER || 'moto';
  const jobs: Array<[string, () => Promise<string>]> = [];
  if (s3 === 'moto') jobs.push([`moto ${MOTO.version}`, () => ensureVenv(MOTO, log)]);
  if (s3 === 'versitygw') jobs.push([`versitygw ${TOOLS.versitygw.version}`, () => ensureBinary(TOOLS.versitygw, log)]);
  if (!process.env.BTREE_PLUGINS_GCS_ENDPOINT) jobs.push([`fake-gcs-server ${TOOLS.fakeGcs.version}`, () => ensureBinary(TOOLS.fakeGcs, log)]);
  if (!process.env.TEMPORAL_ADDRESS) jobs.push([`temporal CLI ${TOOLS.temporal.version}`, () => ensureBinary(TOOLS.temporal, log)]);
  if (!process.env.BTREE_PLUGINS_POSTGRES_URL) jobs.push(['postgresql (Debian)', () => ensurePostgresBinaries(log)]);
  if (!process.env.BTREE_PLUGINS_REDIS_URL) jobs.push(['redis-server (Debian)', () => ensureRedisBinary(log)]);
  // Not a server: the compile-isolation suite watches esbuild with it.
  jobs.push(['strace', () => ensureDebianTool(DEBIAN_TOOLS.strace, log)]);
  // Not a server either: the UI suites drive it with playwright-core (browser downloads are blocked).
  jobs.push(['chromium (Debian)', () => ensureDebianTool(DEBIAN_TOOLS.chromium, log)]);
  const started = Date.now();
  const results = await Promise.allSettled(jobs.map(async ([name, job]) => log(`${name}: ${await job()}`)));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : []));
  if (failed.length) throw new Error(failed.join('\n\n'));
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function start(): Promise<void> {
  const running = await startAllServers(log);
  for (const server of running.servers) log(server.origin);
  for (const [k, v] of Object.entries(running.env)) console.log(`export ${k}=${v}`);
  log('running; Ctrl-C stops them');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.stopAll();
}

const command = process.argv[2];
const run = command === 'prepare' ? prepare : command === 'start' ? start : undefined;
if (!run) {
  console.error('usage: tsx scripts/test-servers.ts prepare|start');
  process.exit(2);
}
run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
