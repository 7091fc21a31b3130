/**
 * The life-cycle commands against a target: `list`, `status <Name>`, `approve`, `activate`,
 * `deprecate` (each `<Name@version>`, or `<Name>` for the version in the project), `rollback <Name>`.
 *
 * @module
 */
import { nodeNameArgument, versionArgument } from '../arguments.js';
import { withTarget, type TargetFlags } from '../connect.js';
import { CliError, EXIT, type CliIo, type ExitCode, type Output } from '../output.js';
import type { NodeListing, VersionRecord } from '../targets/target.js';

function printRecord(out: Output, verb: string, r: VersionRecord): void {
  out.result({ ok: true, customNode: r });
  out.line(`${r.id} ${out.color.green(verb)} ${out.color.dim(`(${statusText(r)})`)}`);
}

/** `draft`, `active`, or `deprecated, active` (a deprecated version can still be the active one). */
export function statusText(r: Pick<VersionRecord, 'status' | 'active'>): string {
  return r.active && r.status !== 'active' ? `${r.status}, active` : r.status;
}

function printListing(out: Output, n: NodeListing): void {
  out.line(`${out.color.bold(n.name)} ${n.active ? `active ${out.color.green(n.active)}` : out.color.dim('none active')}`);
  for (const v of n.versions) out.line(`  ${v.version.padEnd(16)} ${v.status}${v.version === n.active ? out.color.green('  ← active') : ''}`);
}

export function listCommand(flags: TargetFlags, out: Output, io: CliIo): Promise<ExitCode> {
  return withTarget(flags, io, async (target, tenant) => {
    const nodes = await target.list();
    out.result({ ok: true, tenant: tenant.tenantId, nodes });
    if (nodes.length === 0) out.line(`tenant ${tenant.tenantId} has no nodes on ${target.label}`);
    for (const n of nodes) printListing(out, n);
    return EXIT.ok;
  });
}

export function statusCommand(name: string, flags: TargetFlags, out: Output, io: CliIo): Promise<ExitCode> {
  return withTarget(flags, io, async (target, tenant) => {
    nodeNameArgument(name);
    const node = (await target.list()).find((n) => n.name === name);
    if (!node) throw new CliError(`tenant ${tenant.tenantId} has no node ${name} on ${target.label}`, EXIT.remote, 'deploy it first, or check --tenant and the target');
    out.result({ ok: true, tenant: tenant.tenantId, node });
    printListing(out, node);
    return EXIT.ok;
  });
}

export async function versionActionCommand(
  action: 'approve' | 'activate' | 'deprecate',
  idText: string,
  flags: TargetFlags & { note?: string; message?: string },
  out: Output,
  io: CliIo,
): Promise<ExitCode> {
  const { name, version } = await versionArgument(idText, io);
  return withTarget(flags, io, async (target) => {
    const record =
      action === 'approve'
        ? await target.approve(name, version, flags.note)
        : action === 'activate'
          ? await target.activate(name, version)
          : await target.deprecate(name, version, flags.message!);
    printRecord(out, action === 'approve' ? 'approved' : action === 'activate' ? 'activated' : 'deprecated', record);
    return EXIT.ok;
  });
}

export function rollbackCommand(name: string, flags: TargetFlags, out: Output, io: CliIo): Promise<ExitCode> {
  return withTarget(flags, io, async (target) => {
    nodeNameArgument(name);
    printRecord(out, 'is active again (rolled back)', await target.rollback(name));
    return EXIT.ok;
  });
}
