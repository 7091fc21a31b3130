#!/usr/bin/env node
/**
 * The `btree-plugins` executable. The CLI runs nodes in isolated-vm, which needs Node's
 * `--no-node-snapshot`: without it, this file starts itself again with the flag and passes the
 * exit code on.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasNoNodeSnapshotFlag } from '../platform/node-runtime.js';

function packageVersion(): string {
  // dist/cli/main.js and src/cli/main.ts are both two folders below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<void> {
  if (!hasNoNodeSnapshotFlag({ execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS })) {
    const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    child.on('exit', (code, signal) => {
      process.exitCode = code ?? (signal ? 128 + 2 : 1);
    });
    return;
  }
  const { runCli } = await import('./program.js');
  process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }, { version: packageVersion() });
}

await main();
