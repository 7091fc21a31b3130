/**
 * `@opentelemetry/api` is an optional peer: a host that asks for OpenTelemetry without having it
 * installed must still run every tick and get its onExecution events. The absence is real, not a
 * mock of the feature: a child process whose module resolution cannot find the package (Node's own
 * ERR_MODULE_NOT_FOUND), going through the library's lazy import (src/platform/optional-import.ts).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('without @opentelemetry/api installed', () => {
  it('ticks run, the onExecution hook still fires, and one warning names the package to install', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--no-node-snapshot', '--import', 'tsx', '--import', './test/setup/hide-packages.mjs', 'test/telemetry/helpers/no-opentelemetry-child.ts'],
      { cwd: root, timeout: 60_000, env: { ...process.env, BTREE_PLUGINS_TEST_HIDE_PACKAGES: '@opentelemetry/api' } },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { importError: string; status: string; events: Array<Record<string, unknown>>; warnings: string[] };
    expect(report.importError).toBe('ERR_MODULE_NOT_FOUND'); // the package really cannot be found there
    expect(report.status).toBe('SUCCESS');
    expect(report.events).toEqual([expect.objectContaining({ tenantId: 'acme', node: 'Probe', version: '1.0.0', kind: 'custom-node', status: 'success' })]);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain('npm install @opentelemetry/api');
  }, 90_000);
});
