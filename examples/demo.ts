/**
 * `npm run demo`: the whole flow of `@wayfarer-ai/btree-plugins` on its embedded defaults — a
 * filesystem store (`.demo-data/` in the repository, or `$BTREE_PLUGINS_DEMO_DIR`) for the bytes,
 * the registry's metadata in PGlite (or PostgreSQL at `$DATABASE_URL`), in-process isolated-vm
 * sandboxes, and the host's `@wayfarer-ai/btree` (or the library's test host when it is not
 * installed).
 *
 *   1. storage       write, list, create-only and compare-and-swap updates (a stale etag refused), read back
 *   2. registry      publish SendSlackMessage + CreateJiraTicket for tenant `acme`, approve, activate, list
 *   3. custom nodes  the seed's notification tree, run in sandboxes, capabilities print their calls
 *   4. marketplace   acme lists SendSlackMessage in the catalogue, an admin publishes it, tenant
 *                    globex installs it (pinned), runs it in a tree in its own sandbox, reviews it
 *   5. interpreters  the seed's data-processing tree (HttpRequest → PythonInterpreter → HttpRequest)
 *                    against a local HTTP server, and a one-line JavaScriptInterpreter tree
 *   6. api           the upload API over HTTP: the example server (examples/api-server) on a free
 *                    port; upload GreetCustomer, approve, activate and list with fetch
 *   7. temporal      only when TEMPORAL_ADDRESS is set: the same trees as workflows on that server
 *   7/8. dispose     everything; exit 0 (any failure prints the error and exits 1)
 *
 * Re-running is safe: publishing identical content is idempotent (the API answers 200 instead of
 * 201), activation of the active version is a no-op. Delete the data directory to start over.
 *
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PluginHost, type PluginLogger } from '../src/index.js';
import { FsStorage } from '../src/storage-adapters/fs.js';
import { apiStep } from './demo/api-step.js';
import { loadDemoBtree } from './demo/btree.js';
import { openDemoMetadata } from './demo/metadata.js';
import { customNodesStep, demoCapabilities } from './demo/custom-nodes-step.js';
import { dataProcessingStep, javascriptStep } from './demo/interpreters-step.js';
import { compact, say, show, step } from './demo/print.js';
import { marketplaceStep } from './demo/marketplace-step.js';
import { registryStep } from './demo/registry-step.js';
import { storageStep } from './demo/storage-step.js';

const TENANT = 'acme';
/** The demo gives up (exit 1) rather than hang if a part never answers. */
const WATCHDOG_MS = 300_000;

const dataDir = process.env.BTREE_PLUGINS_DEMO_DIR || fileURLToPath(new URL('../.demo-data/', import.meta.url));

/** Host logger: guest console lines and the library's warnings, printed under the step that caused them. */
const logger: PluginLogger = {
  info: (message, fields) => say(`    [log] ${message}${tags(fields)}`),
  warn: (message, fields) => say(`    [warn] ${message}${tags(fields)}`),
  error: (message, fields) => say(`    [error] ${message}${tags(fields)}`),
};

function tags(fields: Record<string, unknown> | undefined): string {
  const t = fields && ['tenantId', 'node', 'version'].filter((k) => fields[k] !== undefined).map((k) => `${k}=${String(fields[k])}`);
  return t && t.length > 0 ? `  [${t.join(', ')}]` : '';
}

async function pythonAvailable(): Promise<string | undefined> {
  try {
    const py = (await import('../src/interpreters/python.js')) as Record<string, unknown>;
    return typeof py.PythonEngine === 'function' ? undefined : 'src/interpreters/python.ts does not export PythonEngine';
  } catch (e) {
    return `src/interpreters/python.ts cannot be loaded: ${e instanceof Error ? e.message : String(e)}`;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  await mkdir(dataDir, { recursive: true });
  const { btree, source } = await loadDemoBtree();
  say('btree-plugins demo');
  show('data directory', dataDir);
  show('btree', source);

  const storage = new FsStorage({ root: join(dataDir, 'store') });
  const metadata = await openDemoMetadata(dataDir);
  show('metadata', metadata.label);
  const pythonMissing = await pythonAvailable();
  const host = new PluginHost({
    btree,
    storage,
    registry: { metadata: metadata.store },
    logger,
    capabilities: demoCapabilities(),
    interpreters: {
      javascript: true,
      // The Pyodide snapshot is cached on disk, so a second run starts Python in well under a second.
      python: pythonMissing ? false : { engine: { cacheDir: join(dataDir, 'pyodide-cache') } },
    },
  });

  try {
    step(1, 'storage: filesystem adapter (create-only, compare-and-swap, list, read back)');
    await storageStep(storage);

    step(2, `registry: publish, approve, activate and list tenant ${TENANT}'s nodes`);
    await registryStep(host.registry, TENANT);

    step(3, "custom nodes: the seed's notification tree in isolated-vm sandboxes");
    await customNodesStep(host, btree, TENANT);

    step(4, 'marketplace: list a node in the catalogue, publish it, install it for a second tenant and run it there');
    await marketplaceStep(host, btree);

    step(5, "interpreters: the seed's data-processing tree, then a JavaScript one-liner");
    if (pythonMissing) {
      say(`  PythonInterpreter is not available (${pythonMissing}); skipped.`);
    } else {
      await dataProcessingStep(host, btree, TENANT);
    }
    say('  -- JavaScriptInterpreter one-liner --');
    await javascriptStep(host, btree, TENANT);

    step(6, `api: upload, approve, activate and list a node of tenant ${TENANT} over HTTP`);
    await apiStep(dataDir, btree);

    if (process.env.TEMPORAL_ADDRESS) {
      step(7, `temporal: the same trees as workflows on the Temporal server at ${process.env.TEMPORAL_ADDRESS}`);
      const { runTemporalDemo } = await import('./temporal/demo.js');
      await runTemporalDemo(process.env.TEMPORAL_ADDRESS, say);
    } else {
      say('  (set TEMPORAL_ADDRESS=host:port to also run the trees as workflows on a Temporal server)');
    }
  } finally {
    step(process.env.TEMPORAL_ADDRESS ? 8 : 7, 'dispose');
    await host.dispose();
    await storage.dispose();
    await metadata.close();
    say(`  disposed the plugin host (sandboxes, interpreter engines), the fs store and the metadata database`);
  }
  say();
  say(`demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s${pythonMissing ? ' (PythonInterpreter skipped)' : ''}`);
}

const watchdog = setTimeout(() => {
  say(`\ndemo FAILED: no progress for ${WATCHDOG_MS / 1000} s; giving up`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

// Exit explicitly with the demo's verdict; everything has been disposed by then (the process
// would also end by itself: test/interpreters/python/process-exit.test.ts pins that).
main().then(
  () => {
    clearTimeout(watchdog);
    process.exit(0);
  },
  (e: unknown) => {
    clearTimeout(watchdog);
    say();
    say(`demo FAILED: ${e instanceof Error ? `${e.name}: ${e.message}` : compact(e)}`);
    if (e instanceof Error && e.stack && process.env.BTREE_PLUGINS_DEMO_DEBUG) say(e.stack);
    process.exit(1);
  },
);
