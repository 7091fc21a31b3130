/**
 * A restarted worker for bench/interpreters.ts: a fresh process that makes a PythonEngine with the
 * default snapshot cache and runs the seed's statistics script once. Prints one JSON line with the
 * time from engine construction to the first result, split into `init` (Pyodide loaded and
 * compiled, snapshot read from the cache) and `firstRun` (isolate from the snapshot + the run).
 *
 * Bundled and started by the bench (src/platform/source-bundle.ts), like a host runs built code.
 */
import { PythonEngine } from '../src/interpreters/python.js';
import { PYTHON_STATS_SCRIPT } from '../examples/seed-workflows.js';

const data = Array.from({ length: 100 }, (_, i) => ({ id: i, value: ((i * 37) % 101) + 0.5 }));
const t0 = performance.now();
// CACHE_DIR=off: `cacheDir: false`, the baseline (what every restart cost before the default cache).
const engine = new PythonEngine({ maxIsolates: 1, ...(process.env.CACHE_DIR === 'off' ? { cacheDir: false as const } : {}) });
await engine.warmUp();
const t1 = performance.now();
const outcome = await engine.run({ script: PYTHON_STATS_SCRIPT, inputs: { httpResponse: { data } }, timeoutMs: 30_000, memoryLimitBytes: 256 * 2 ** 20, tenantId: 'acme' });
const t2 = performance.now();
await engine.dispose();
process.stdout.write(`${JSON.stringify({ ok: outcome.ok, total: t2 - t0, init: t1 - t0, firstRun: t2 - t1, sinceStart: performance.now() })}\n`);
