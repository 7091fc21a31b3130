/**
 * Runs every benchmark in turn, each in its own Node process so that one's heap and isolates do
 * not skew the next. Each prints its own figures and the baselines it measured in the same run.
 *
 *   npm run bench                 # all of them
 *   npm run bench -- storage      # only those whose name is given
 *
 * Benchmarks that need servers (storage against S3/GCS, temporal) read the same environment
 * variables as the tests; start them with `npx tsx scripts/test-servers.ts start`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const all = ['storage', 'publish', 'http-api', 'metadata', 'custom-node', 'binding-tick', 'execution', 'telemetry', 'rate-limits', 'authoring', 'interpreters', 'temporal'];
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${all.join(', ')}`);
  process.exit(2);
}

let failed = 0;
for (const name of wanted.length ? wanted : all) {
  console.log(`\n=== bench/${name}.ts ===`);
  const run = spawnSync(process.execPath, ['--no-node-snapshot', '--import', 'tsx', join(import.meta.dirname, `${name}.ts`)], {
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    failed++;
    console.error(`bench/${name}.ts exited with ${run.status ?? run.signal}`);
  }
}
process.exit(failed ? 1 : 0);
