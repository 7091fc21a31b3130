/**
 * `btree-plugins deploy [names...] --tenant <t> (--api <url> | --store <location>) [--activate]`:
 * validates every selected node against the tenant's policy, and only when all pass uploads them.
 * Idempotent by content: the same content again is "unchanged" (exit 0); other content under a
 * deployed version is refused by the target (bump the version).
 *
 * @module
 */
import { cliErrorOf, EXIT, CliError, type CliIo, type ExitCode, type Output } from '../output.js';
import { openTarget, type TargetFlags } from '../connect.js';
import type { NodeFiles } from '../../authoring/node-files.js';
import { loadProject, selectNodes } from '../project.js';
import type { VersionRecord } from '../targets/target.js';
import { statusText } from './manage.js';
import { validateProjectNode } from './validate.js';

export interface DeployFlags extends TargetFlags {
  activate?: boolean;
  strict?: boolean;
}

interface Deployed {
  name: string;
  version: string;
  result: 'uploaded' | 'unchanged';
  activated: boolean;
  record: VersionRecord;
}

export async function deployCommand(names: string[], flags: DeployFlags, out: Output, io: CliIo): Promise<ExitCode> {
  const project = await loadProject(io.cwd);
  const nodes = selectNodes(project, names);
  const { target, tenant } = await openTarget(flags, io);
  try {
    // Everything is checked before anything is sent: a failing node stops the whole deploy.
    const invalid: string[] = [];
    const checked: Array<{ node: (typeof nodes)[number]; files: NodeFiles }> = [];
    for (const node of nodes) {
      const report = await validateProjectNode(project, node, tenant, flags.strict === true, out, io);
      if (!report.ok) invalid.push(node.name);
      // What was validated is what is uploaded: the files are read once.
      checked.push({ node, files: report.files });
    }
    if (invalid.length) {
      out.result({ ok: false, deployed: [], invalid });
      out.line(out.color.red(`nothing deployed: ${invalid.join(', ')} failed validation`));
      return EXIT.failed;
    }
    const deployed: Deployed[] = [];
    for (const { node, files } of checked) {
      const progress = await out.progress(`uploading ${node.name}@${node.version} to ${target.label} (tenant ${tenant.tenantId})`);
      let up: Awaited<ReturnType<typeof target.upload>>;
      try {
        up = await target.upload({ name: node.name, version: node.version, files: files.files, entry: files.entry, ...(node.description ? { description: node.description } : {}) });
      } catch (e) {
        progress.fail(`${node.name}@${node.version} was not uploaded`);
        const failure = cliErrorOf(e, EXIT.remote);
        throw new CliError(failure.message, failure.exitCode, failure.hint, failure.code, { deployed });
      }
      const result = up.created ? 'uploaded' : 'unchanged';
      progress.done(`${node.name}@${node.version} ${up.created ? out.color.green('uploaded') : 'unchanged'} ${out.color.dim(`(${statusText(up.record)}, sha256 ${up.record.sha256.slice(0, 12)})`)}`);
      const entry: Deployed = { name: node.name, version: node.version, result, activated: up.record.active, record: up.record };
      deployed.push(entry);
      if (!flags.activate || up.record.active) continue;
      if (up.record.status === 'draft' && tenant.requireApproval) {
        throw new CliError(
          `${node.name}@${node.version} is uploaded (draft), but tenant ${tenant.tenantId} requires approval before activation`,
          EXIT.remote,
          `an approver runs \`btree-plugins approve ${node.name}@${node.version} --tenant ${tenant.tenantId} …\`; then deploy --activate again (or run activate)`,
          'APPROVAL_REQUIRED',
          { deployed },
        );
      }
      entry.record = await target.activate(node.name, node.version);
      entry.activated = true;
      out.line(`${node.name}@${node.version} ${out.color.green('activated')}`);
    }
    out.result({ ok: true, target: target.label, tenant: tenant.tenantId, deployed });
    return EXIT.ok;
  } finally {
    await target.close();
  }
}
