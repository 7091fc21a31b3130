/**
 * The package as an author installs it, for the CLI's end-to-end tests: `dist/` built by tsup from
 * the same entries and plugins as the release (no type declarations: nothing here reads them) into
 * a folder of its own, with the checkout's `package.json` and `node_modules`. Generated projects
 * link it as `node_modules/@wayfarer-ai/btree-plugins`, so nothing is fetched from a registry.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'tsup';
import { entries, GUEST_TEXTS, inlineTexts, MIGRATION_TEXTS } from '../../tsup.config.js';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** Builds the package into `<dir>/package` and answers the path of its `btree-plugins` executable. */
export async function buildCliPackage(dir: string): Promise<{ packageDir: string; bin: string }> {
  const packageDir = join(dir, 'package');
  mkdirSync(packageDir, { recursive: true });
  await build({
    config: false,
    entry: entries,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: false,
    sourcemap: false,
    clean: true,
    splitting: true,
    treeshake: true,
    silent: true,
    outDir: join(packageDir, 'dist'),
    esbuildPlugins: [inlineTexts(GUEST_TEXTS), inlineTexts(MIGRATION_TEXTS)],
  });
  copyFileSync(join(repoRoot, 'package.json'), join(packageDir, 'package.json'));
  symlinkSync(join(repoRoot, 'node_modules'), join(packageDir, 'node_modules'), 'dir');
  return { packageDir, bin: join(packageDir, 'dist', 'cli', 'main.js') };
}

/** Links the built package into a generated project, as `npm install` of a local path would. */
export function linkPackage(project: string, packageDir: string): void {
  mkdirSync(join(project, 'node_modules', '@wayfarer-ai'), { recursive: true });
  symlinkSync(packageDir, join(project, 'node_modules', '@wayfarer-ai', 'btree-plugins'), 'dir');
}

/** What one CLI run printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment variables a developer's shell may set that would change what the CLI does. */
const SCRUBBED = ['BTREE_PLUGINS_TOKEN', 'NO_COLOR', 'FORCE_COLOR', 'NODE_OPTIONS', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'BTREE_PLUGINS_GCS_ENDPOINT', 'STORAGE_EMULATOR_HOST'];

/**
 * Runs `node <bin> ...args` in `cwd` as a user would: plain `node` (the executable adds
 * `--no-node-snapshot` itself), pipes for output (not a terminal), a clean environment plus `env`.
 */
export function runCli(bin: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  const base = { ...process.env };
  for (const key of SCRUBBED) delete base[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
