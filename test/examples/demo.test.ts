/**
 * `npm run demo` as a newcomer runs it: a child process (`node --no-node-snapshot --import tsx
 * examples/demo.ts`) against a temporary data directory, twice — the second run must show that
 * re-running is safe (idempotent publish, activation no-ops, the fs store persisted).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { openDemoMetadata } from '../../examples/demo/metadata.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

interface DemoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the demo in process (no Temporal) unless `temporalAddress` is given. */
function runDemo(dataDir: string, temporalAddress?: string): Promise<DemoRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, BTREE_PLUGINS_DEMO_DIR: dataDir };
  delete env.TEMPORAL_ADDRESS;
  if (temporalAddress) env.TEMPORAL_ADDRESS = temporalAddress;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--no-node-snapshot', '--import', 'tsx', 'examples/demo.ts'],
      { cwd: repo, env, timeout: 240_000, maxBuffer: 4 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let dir: string;
let first: DemoRun;
let second: DemoRun;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btree-plugins-demo-'));
  first = await runDemo(join(dir, 'data'));
  second = await runDemo(join(dir, 'data'));
}, 480_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('runs every step and exits 0', () => {
    expect(first.stderr).toBe('');
    expect(first.code, first.stdout).toBe(0);
    for (const header of ['== 1. storage', '== 2. registry', '== 3. custom nodes', '== 4. marketplace', '== 5. interpreters', '== 6. api', '== 7. dispose']) {
      expect(first.stdout).toContain(header);
    }
    expect(first.stdout).toContain(`data directory: ${join(dir, 'data')}`);
    expect(first.stdout).toMatch(/^demo finished in [\d.]+ s$/m);
    expect(first.stdout).not.toContain('skipped');
  });

  it('step 1: create-only and a stale-etag CAS are refused; list and read back show the CAS update', () => {
    expect(first.stdout).toContain('this store has seen 1 demo run(s)');
    expect(first.stdout).toMatch(/put demo\/greeting\.txt again \(create-only\): refused as expected: PreconditionFailedError: .*already exists/);
    expect(first.stdout).toMatch(/CAS with the stale etag\): refused as expected: PreconditionFailedError: .*etag mismatch/);
    expect(first.stdout).toContain('list demo/: demo/greeting.txt (30 B), demo/notes/today.txt (13 B), demo/runs.json');
    expect(first.stdout).toContain('get demo/greeting.txt: "hello again (updated with CAS)"');
  });

  it("step 2: publishes, approves and activates acme's two nodes, and lists them active", () => {
    for (const name of ['SendSlackMessage', 'CreateJiraTicket']) expect(first.stdout).toContain(`publish acme/${name}@1.0.0: published`);
    expect(first.stdout.match(/approve: draft -> approved/g)).toHaveLength(2);
    expect(first.stdout.match(/activate: approved -> active/g)).toHaveLength(2);
    expect(first.stdout).toContain("{ name: 'SendSlackMessage', active: '1.0.0', versions: { '1.0.0': 'active' } }");
    expect(first.stdout).toContain("{ name: 'CreateJiraTicket', active: '1.0.0', versions: { '1.0.0': 'active' } }");
  });

  it("step 3: the seed's notification tree calls both capabilities and leaves the ticket on the blackboard", () => {
    expect(first.stdout).toContain("capability sendSlackMessage('#alerts', 'Order A-1001 received!')  [tenant=acme, node=SendSlackMessage@1.0.0]");
    expect(first.stdout).toContain("capability createJiraTicket('OPS', 'New order: A-1001', 'Customer: ada@example.com') -> OPS-101");
    expect(first.stdout).toContain("blackboard: { orderId: 'A-1001', customerEmail: 'ada@example.com', ticketKey: 'OPS-101' }");
  });

  it('step 4: acme lists SendSlackMessage in the catalogue, an admin publishes it, globex installs it and runs it with its own capability', () => {
    expect(first.stdout).toContain('publisher: acme-tools (Acme Tools) for tenant acme, community');
    expect(first.stdout).toMatch(/look-alike "acmetools" \/ "ACME Tооls": refused: publisher registration failed: .*looks like the publisher "acme-tools"/);
    expect(first.stdout).toContain('listed: acme-tools.SendSlackMessage: 1.0.0 pending_review');
    expect(first.stdout).toContain('search "slack" as globex: acme-tools.SendSlackMessage@1.0.0 by Acme Tools');
    expect(first.stdout).toContain('install into globex: SendSlackMessage pinned to 1.0.0');
    expect(first.stdout).toContain("capability sendSlackMessage('#globex-ops', 'Installed from the marketplace')  [tenant=globex, node=SendSlackMessage@1.0.0]");
    expect(first.stdout).toContain('listing: { installCount: 1, ratingCount: 1, ratingAverage: 3.33 }');
  });

  it('step 5: the data-processing tree posts mean/std/count to the local server; the JavaScript one-liner totals the order', () => {
    expect(first.stdout).toContain('processedData: { mean: 5, std: 2, count: 8 }');
    expect(first.stdout).toContain('server received POST /results: [ { stats: { mean: 5, std: 2, count: 8 } } ]');
    expect(first.stdout).toContain('total: 40');
  });

  it('step 6: uploads GreetCustomer over HTTP to the example API server, approves, activates and lists it', () => {
    expect(first.stdout).toMatch(/server: http:\/\/127\.0\.0\.1:\d+\/api \(OpenAPI: http:\/\/127\.0\.0\.1:\d+\/api\/openapi\.json\)/);
    expect(first.stdout).toContain('POST /custom-nodes (ana)  -> 201 Created: a new draft');
    expect(first.stdout).toContain('POST /custom-nodes/GreetCustomer@1.0.0/approve (rita)  -> 200, status approved');
    expect(first.stdout).toContain('POST /custom-nodes/GreetCustomer@1.0.0/activate (ana)  -> 200, status active');
    expect(first.stdout).toMatch(/record: \{ id: 'GreetCustomer@1\.0\.0', .*status: 'active', active: true, .*createdBy: 'ana', .*reviewedBy: 'rita'/);
    expect(first.stdout).toContain("GET /custom-nodes  -> 200: [ 'GreetCustomer@1.0.0' ]");
    expect(first.stdout).toContain('closed the API server');
  });

  it('a second run over the same data directory is idempotent and still exits 0', () => {
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toContain('this store has seen 2 demo run(s)');
    expect(second.stdout.match(/already published with identical content \(idempotent\)/g)).toHaveLength(2);
    expect(second.stdout.match(/approve: already approved \(no-op\)/g)).toHaveLength(2);
    expect(second.stdout.match(/activate: already active \(no-op\)/g)).toHaveLength(2);
    expect(second.stdout).toContain('POST /custom-nodes (ana)  -> 200 OK: already uploaded with identical content (idempotent)');
    expect(second.stdout).toContain('POST /custom-nodes/GreetCustomer@1.0.0/activate (ana)  -> 200, status active');
    expect(second.stdout).toContain('server received POST /results: [ { stats: { mean: 5, std: 2, count: 8 } } ]');
    // The marketplace step again: the same publisher, listing, install; the review is updated, not added.
    expect(second.stdout).toContain('listed: acme-tools.SendSlackMessage: 1.0.0 published');
    expect(second.stdout).toContain('listing: { installCount: 1, ratingCount: 1, ratingAverage: 3.33 }');
  });

  it('with TEMPORAL_ADDRESS set, also runs the trees as workflows on that Temporal server', async () => {
    const address = process.env.TEMPORAL_ADDRESS;
    expect(address, 'the test setup starts a Temporal dev server and exports TEMPORAL_ADDRESS').toBeTruthy();
    const run = await runDemo(join(dir, 'temporal'), address);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`== 7. temporal: the same trees as workflows on the Temporal server at ${address}`);
    expect(run.stdout).toMatch(/notification workflow → \{"status":"SUCCESS".*"ticketKey":"OPS-1"/);
    expect(run.stdout).toContain('python workflow → {"mean":5,"std":2,"count":8}');
    expect(run.stdout).toContain('== 8. dispose');
  }, 240_000);

  it('prints the error and exits non-zero when a step fails', async () => {
    const notADirectory = join(dir, 'a-file');
    await writeFile(notADirectory, 'not a directory');
    const failed = await runDemo(notADirectory);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^demo FAILED: .*EEXIST/m);
  });

  it('a data directory holding another SendSlackMessage@1.0.0 makes the demo fail with a hint, not a stack trace', async () => {
    // Versions are immutable: simulate a store written by an older demo with a different source.
    const dataDir = join(dir, 'conflict');
    const storage = new FsStorage({ root: join(dataDir, 'store') });
    const source = "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class SendSlackMessage extends ActionNode {\n  protected async executeTick() { return NodeStatus.SUCCESS; }\n}\n";
    // The metadata does not matter here, only the taken version: a fixed answer stands in for the sandbox.
    const inspector = { inspect: async () => ({ category: 'action' as const, ports: [] }) };
    // Where the demo keeps its metadata (PGlite in the data directory, or DATABASE_URL).
    const metadata = await openDemoMetadata(dataDir);
    try {
      await new TenantRegistry({ storage, metadata: metadata.store, inspector }).publish('acme', { name: 'SendSlackMessage', version: '1.0.0', source });
    } finally {
      await storage.dispose();
      await metadata.close();
    }

    const failed = await runDemo(dataDir);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^demo FAILED: .*version already exists with different content.*delete the data directory printed above and run again$/m);
    expect(failed.stdout).toContain('== 7. dispose');
  });
});
