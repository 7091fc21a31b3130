/**
 * A pinned PyPI package in its own virtual environment in the build cache (used for moto[server],
 * the S3 test server). Built once with the machine's python3 and pip; reused afterwards.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot } from './binaries.js';

const run = promisify(execFile);

/** A pinned Python package: `requirement` is what pip installs, `probe` a module that must import. */
export interface PythonTool {
  name: string;
  requirement: string;
  version: string;
  probe: string;
  alternative: string;
}

export const MOTO: PythonTool = {
  name: 'moto',
  requirement: 'moto[server]==5.2.5',
  version: '5.2.5',
  probe: 'moto.server',
  alternative: 'or run any S3 server yourself and set BTREE_PLUGINS_S3_ENDPOINT (+ BTREE_PLUGINS_S3_ACCESS_KEY, BTREE_PLUGINS_S3_SECRET_KEY)',
};

/** The venv's python of `tool`. */
export function venvPython(tool: PythonTool): string {
  return join(cacheRoot(), 'venv', `${tool.name}-${tool.version}`, 'bin', 'python');
}

const inFlight = new Map<string, Promise<string>>();

/** Path of a python that can import `tool.probe`, creating the venv when it is missing. */
export function ensureVenv(tool: PythonTool, log: (line: string) => void = () => {}): Promise<string> {
  const python = venvPython(tool);
  let pending = inFlight.get(python);
  if (!pending) {
    pending = build(tool, python, log);
    inFlight.set(python, pending);
    pending.catch(() => inFlight.delete(python));
  }
  return pending;
}

async function build(tool: PythonTool, python: string, log: (line: string) => void): Promise<string> {
  const venv = dirname(dirname(python));
  try {
    await access(python);
    await run(python, ['-c', `import ${tool.probe}`], { timeout: 60_000 });
    return python;
  } catch {
    // Missing or broken: (re)build below.
  }
  const base = process.env.PYTHON || 'python3';
  try {
    await run(base, ['-c', 'import venv, ensurepip'], { timeout: 30_000 });
  } catch {
    throw new Error(
      `test server ${tool.name} is not installed [venv=${venv}]: no python3 with the venv module was found (tried \`${base}\`). ` +
        `HINT: install Python 3.9+ with venv (Debian: apt-get install python3-venv) and rerun, ${tool.alternative}`,
    );
  }
  log(`installing ${tool.requirement} from PyPI (once; cached in ${venv})`);
  await mkdir(dirname(venv), { recursive: true });
  // Build in a private folder and rename into place, so concurrent test runs never share a half-built venv.
  const staging = await mkdtemp(join(dirname(venv), `.${tool.name}-build-`));
  try {
    await run(base, ['-m', 'venv', staging], { timeout: 120_000 });
    await run(join(staging, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', tool.requirement], {
      timeout: 15 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    await rm(venv, { recursive: true, force: true });
    await rename(staging, venv);
    await run(python, ['-c', `import ${tool.probe}`], { timeout: 60_000 });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`pip install ${tool.requirement} failed: ${stderr.trim().split('\n').slice(-15).join('\n') || String(error)}`, { cause: error });
  }
  return python;
}
