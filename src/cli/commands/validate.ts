/**
 * `btree-plugins validate [names...]`: every check the registry makes on an upload (name, compile,
 * import policy, static scan, metadata, props schema, sizes), against the tenant's policy when
 * `--api` is given. Exit 1 on an error, or on a warning with `--strict`.
 *
 * @module
 */
import type { NodeFiles } from '../../authoring/node-files.js';
import { validateNode, type ValidationReport } from '../../authoring/validate-node.js';
import { tenantLimits, type TargetFlags } from '../connect.js';
import { nearLimits, printCostReport, sizeLines, type CostLine } from '../cost-report.js';
import { printDiagnostics } from '../diagnostics.js';
import { EXIT, type CliIo, type ExitCode, type Output } from '../output.js';
import { entryFolderShown, loadProject, nodeFiles, selectNodes, type Project, type ProjectNode } from '../project.js';
import type { TargetTenant } from '../targets/target.js';

/** Validates one node and prints its report; `deploy` runs the same before it uploads, and uploads the `files` read here. */
export async function validateProjectNode(
  project: Project,
  node: ProjectNode,
  tenant: TargetTenant,
  strict: boolean,
  out: Output,
  io: CliIo,
): Promise<ValidationReport & { cost: CostLine[]; files: NodeFiles }> {
  const files = await nodeFiles(project, node);
  const report = await validateNode({
    name: node.name,
    files: files.files,
    entry: files.entry,
    compileLimits: tenant.compile.limits,
    blockOn: tenant.compile.blockOn,
    sandboxLimits: tenant.sandbox,
    strict,
  });
  const errors = report.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = report.diagnostics.filter((d) => d.severity === 'warning').length;
  const verdict = report.ok ? out.color.green('valid') : out.color.red('invalid');
  out.line(`${out.color.bold(node.name)}@${node.version} ${verdict} ${out.color.dim(`(${errors} error(s), ${warnings} warning(s)${strict ? ', strict' : ''})`)}`);
  printDiagnostics(out, report.diagnostics, entryFolderShown(project, node, io.cwd));
  const cost = report.sizes ? sizeLines(report.sizes, report.compileLimits) : [];
  if (report.sizes) {
    printCostReport(out, `against the limits of ${tenant.limitsFrom}`, cost);
    for (const w of nearLimits(cost)) out.warn(`${node.name}: ${w}`);
  }
  return { ...report, cost, files };
}

export async function validateCommand(names: string[], flags: TargetFlags & { strict?: boolean }, out: Output, io: CliIo): Promise<ExitCode> {
  const project = await loadProject(io.cwd);
  const nodes = selectNodes(project, names);
  const tenant = await tenantLimits(flags, io);
  const reports = [];
  for (const node of nodes) reports.push(await validateProjectNode(project, node, tenant, flags.strict === true, out, io));
  const ok = reports.every((r) => r.ok);
  out.result({
    ok,
    limitsFrom: tenant.limitsFrom,
    nodes: reports.map((r) => ({ name: r.name, ok: r.ok, diagnostics: r.diagnostics, metadata: r.metadata ?? null, sizes: r.sizes ?? null, cost: r.cost })),
  });
  return ok ? EXIT.ok : EXIT.failed;
}
