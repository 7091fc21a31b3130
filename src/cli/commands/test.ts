/**
 * `btree-plugins test [names...]`: runs each node's `.test.ts` cases through the author's harness
 * (the production sandbox), prints pass/fail per case and the node's cost against the tenant's
 * limits. Exit 1 when a case fails or a node does not compile.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { NodeHarness } from '../../authoring/node-harness.js';
import { checkNodeTests, type NodeTests } from '../../authoring/node-tests.js';
import { runNodeTests } from '../../authoring/run-node-tests.js';
import { CompileError, isBtreePluginsError } from '../../errors.js';
import { tenantLimits, type TargetFlags } from '../connect.js';
import { costLines, nearLimits, printCostReport, type CostLine } from '../cost-report.js';
import { printDiagnostics } from '../diagnostics.js';
import { cliErrorOf, CliError, EXIT, oneLine, type CliIo, type ExitCode, type Output } from '../output.js';
import { entryFolderShown, loadProject, nodeFiles, selectNodes, testFileOf, type Project, type ProjectNode } from '../project.js';

interface NodeReport {
  name: string;
  version: string;
  passed: boolean;
  error?: string;
  cases: Array<{ name: string; passed: boolean; failures: string[]; status: string; error?: string; cost: unknown }>;
  cost: CostLine[];
}

export async function testCommand(names: string[], flags: TargetFlags, out: Output, io: CliIo): Promise<ExitCode> {
  const project = await loadProject(io.cwd);
  const nodes = selectNodes(project, names);
  const tenant = await tenantLimits(flags, io);
  const reports: NodeReport[] = [];
  for (const node of nodes) {
    const report: NodeReport = { name: node.name, version: node.version, passed: false, cases: [], cost: [] };
    reports.push(report);
    out.line(`${out.color.bold(node.name)}@${node.version}`);
    const testFile = testFileOf(project, node);
    if (!existsSync(testFile)) {
      report.error = `no tests: ${relative(project.root, testFile)} does not exist`;
      out.line(`  ${out.color.red('✗')} ${report.error}`);
      continue;
    }
    const tests = await loadTests(project, node, testFile);
    const files = await nodeFiles(project, node);
    let harness: NodeHarness;
    try {
      harness = await NodeHarness.load({ name: node.name, files: files.files, entry: files.entry, limits: tenant.sandbox, compile: { limits: tenant.compile.limits, blockOn: {} }, tenantId: tenant.tenantId });
    } catch (e) {
      // A compile error or a failed inspection fails this node; anything else is not the node's fault.
      if (!isBtreePluginsError(e)) throw e;
      report.error = e instanceof CompileError ? `does not compile: ${e.diagnostics.length} error(s)` : cliErrorOf(e, EXIT.failed).message;
      out.line(`  ${out.color.red('✗')} ${report.error}`);
      if (e instanceof CompileError) printDiagnostics(out, e.diagnostics, entryFolderShown(project, node, io.cwd));
      continue;
    }
    try {
      const results = await runNodeTests(harness, tests);
      for (const r of results) {
        out.line(`  ${r.passed ? out.color.green('✓') : out.color.red('✗')} ${r.name} ${out.color.dim(`(${r.result.cost.cpuMs.toFixed(2)} ms CPU)`)}`);
        for (const f of r.failures) out.line(`      ${f}`);
        report.cases.push({ name: r.name, passed: r.passed, failures: r.failures, status: r.result.status, ...(r.result.error ? { error: r.result.error } : {}), cost: r.result.cost });
      }
      report.passed = results.every((r) => r.passed);
      report.cost = costLines(
        results.map((r) => r.result.cost),
        harness.limits,
        tenant.compile.limits,
        harness.compiled.sizes.bundleBytes,
      );
      printCostReport(out, `worst case of ${results.length} run(s), against the limits of ${tenant.limitsFrom}`, report.cost);
      for (const w of nearLimits(report.cost)) out.warn(`${node.name}: ${w}`);
    } finally {
      await harness.dispose();
    }
  }
  const passed = reports.every((r) => r.passed);
  const count = reports.reduce((n, r) => n + r.cases.length, 0);
  const failed = reports.reduce((n, r) => n + r.cases.filter((c) => !c.passed).length, 0);
  out.line();
  out.line(passed ? out.color.green(`${count} case(s) passed`) : out.color.red(`${failed} of ${count} case(s) failed${reports.some((r) => r.error) ? '; some nodes did not run' : ''}`));
  out.result({ ok: passed, limitsFrom: tenant.limitsFrom, limits: tenant.sandbox, nodes: reports });
  return passed ? EXIT.ok : EXIT.failed;
}

/**
 * Bundles the test file (its own imports included; packages stay imports) into the project's
 * `node_modules/.cache`, where the project's packages resolve, and imports it.
 */
async function loadTests(project: Project, node: ProjectNode, testFile: string): Promise<NodeTests> {
  const where = relative(project.root, testFile);
  let code: string;
  try {
    const result = await esbuild.build({
      entryPoints: [testFile],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      sourcemap: 'inline',
      logLevel: 'silent',
      absWorkingDir: project.root,
    });
    code = result.outputFiles[0]!.text;
  } catch (e) {
    const first = (e as esbuild.BuildFailure).errors?.[0];
    const at = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
    throw new CliError(`${where} does not compile: ${at}${first?.text ?? String(e)}`, EXIT.failed, 'fix the test file');
  }
  const dir = join(project.root, 'node_modules', '.cache', 'btree-plugins');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${node.name}.${process.pid}.${Date.now()}.test.mjs`);
  await writeFile(file, code);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const missing = /Cannot find (package|module) '([^']+)'/.exec(message);
    throw new CliError(
      `${where} could not be loaded: ${oneLine(message)}`,
      EXIT.failed,
      missing ? `install the project's dependencies (npm install): ${missing[2]} is missing` : 'fix the test file',
    );
  } finally {
    await rm(file, { force: true });
  }
  try {
    return checkNodeTests(module.default, where);
  } catch (e) {
    throw cliErrorOf(e, EXIT.failed);
  }
}
