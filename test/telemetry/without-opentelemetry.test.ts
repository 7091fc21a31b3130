/**
 * `@opentelemetry/api` is an optional peer: a host that asks for OpenTelemetry without having it
 * installed must still run every tick and get its onExecution events. The absence is real, not a
 * mock of the feature: a child process whose module resolution cannot find the package (Node's own
 * ERR_MODULE_NOT_FOUND), going through the library's lazy import (src/platform/optional-import.ts).
 */
import { describe, expect, it } from 'vitest';
import { runWithoutPackages } from '../setup/without-packages.js';

describe('without @opentelemetry/api installed', () => {
  it('ticks run, the onExecution hook still fires, and one warning names the package to install', async () => {
    const report = await runWithoutPackages<{ importError: string; status: string; events: Array<Record<string, unknown>>; warnings: string[] }>(
      ['@opentelemetry/api'],
      'test/telemetry/helpers/no-opentelemetry-child.ts',
    );
    expect(report.importError).toBe('ERR_MODULE_NOT_FOUND'); // the package really cannot be found there
    expect(report.status).toBe('SUCCESS');
    expect(report.events).toEqual([expect.objectContaining({ tenantId: 'acme', node: 'Probe', version: '1.0.0', kind: 'custom-node', status: 'success' })]);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain('npm install @opentelemetry/api');
  }, 90_000);
});
