/**
 * The cost report `test` and `validate` print: what a node used, worst case over its runs, against
 * the limits of the tenant it is going to (as Shopify's `function run` reports against its limits).
 *
 * @module
 */
import type { NodeCost } from '../authoring/node-harness.js';
import type { CompileLimits } from '../loader/virtual-files.js';
import { MAX_PROPS_SCHEMA_CHARS } from '../btree/props-validator.js';
import type { SandboxLimits } from '../sandbox/limits.js';
import type { Output } from './output.js';

/** One line of the report. */
export interface CostLine {
  resource: Resource;
  /** The most any run used (`null` when nothing measured it). */
  used: number | null;
  limit: number;
  /** `used / limit`, 0–1+ (null when unmeasured). */
  share: number | null;
}

/** A share of a limit at or over this is flagged. */
export const NEAR_LIMIT = 0.8;

const LABELS = {
  cpuMs: 'CPU per tick',
  wallMs: 'wall time per tick',
  heapBytes: 'isolate heap',
  bundleBytes: 'bundle size',
  sourceBytes: 'source size',
  files: 'source files',
  propsSchemaChars: 'props schema',
} as const;

/** What a line measures. */
export type Resource = keyof typeof LABELS;

function line(resource: Resource, used: number | null, limit: number): CostLine {
  return { resource, used, limit, share: used === null ? null : used / limit };
}

/** The worst case of `costs` against the limits. */
export function costLines(costs: readonly NodeCost[], sandbox: SandboxLimits, compile: Required<CompileLimits>, bundleBytes: number): CostLine[] {
  const most = (pick: (c: NodeCost) => number | undefined): number | null => {
    const values = costs.map(pick).filter((v): v is number => typeof v === 'number');
    return values.length ? Math.max(...values) : null;
  };
  return [
    line('cpuMs', most((c) => c.cpuMs), sandbox.cpuTimeMs),
    line('wallMs', most((c) => c.wallMs), sandbox.wallTimeMs),
    line('heapBytes', most((c) => c.heapBytes), sandbox.memoryMb * 1024 * 1024),
    line('bundleBytes', bundleBytes, compile.maxBundleBytes),
  ];
}

/** The sizes `validate` reports: the upload and its bundle against the compile limits, the props schema against the host's. */
export function sizeLines(sizes: { sourceBytes: number; bundleBytes: number; files: number; propsSchemaChars: number }, compile: Required<CompileLimits>): CostLine[] {
  return [
    line('bundleBytes', sizes.bundleBytes, compile.maxBundleBytes),
    line('sourceBytes', sizes.sourceBytes, compile.maxSourceBytes),
    line('files', sizes.files, compile.maxFiles),
    line('propsSchemaChars', sizes.propsSchemaChars, MAX_PROPS_SCHEMA_CHARS),
  ];
}

function show(resource: Resource, value: number | null): string {
  if (value === null) return '—';
  if (resource === 'cpuMs' || resource === 'wallMs') return `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
  if (resource === 'files') return String(value);
  if (resource === 'propsSchemaChars') return `${value} chars`;
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  return `${(value / 1024).toFixed(1)} KiB`;
}

/** Prints the report as a small table. */
export function printCostReport(out: Output, title: string, lines: readonly CostLine[]): void {
  const c = out.color;
  out.line(`  ${c.bold('cost')} ${c.dim(title)}`);
  const rows = lines.map((l) => [LABELS[l.resource], show(l.resource, l.used), show(l.resource, l.limit), l.share === null ? '—' : `${(l.share * 100).toFixed(1)}%`]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  lines.forEach((l, i) => {
    const [label, used, limit, share] = rows[i]!;
    const paint = l.share === null || l.share < NEAR_LIMIT ? (s: string) => s : l.share < 1 ? c.yellow : c.red;
    out.line(`    ${label!.padEnd(widths[0]!)}  ${used!.padStart(widths[1]!)} of ${limit!.padStart(widths[2]!)}  ${paint(share!)}`);
  });
}

/** Lines at or over {@link NEAR_LIMIT}, as warnings. */
export function nearLimits(lines: readonly CostLine[]): string[] {
  return lines
    .filter((l) => l.share !== null && l.share >= NEAR_LIMIT)
    .map((l) => `${LABELS[l.resource]} is ${(l.share! * 100).toFixed(0)}% of its limit (${show(l.resource, l.used)} of ${show(l.resource, l.limit)})${l.share! >= 1 ? ': it would fail on this tenant' : ''}`);
}
