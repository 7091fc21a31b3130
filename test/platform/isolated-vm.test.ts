/**
 * isolated-vm is loaded from the optional alias that fits the running Node, and every way that can
 * go wrong ends in a RuntimeCompatibilityError that names the fix: no build installed, a build made
 * for another Node's ABI (what `nodedir` pointing at another Node's headers produces), a process
 * without --no-node-snapshot. The cross-line cases run a child under another pinned Node line.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';
import { checkSandboxRuntime } from '../../src/index.js';
import { ISOLATED_VM_BUILDS, abiOfBinary, loadIsolatedVm, loadedIsolatedVm, type IsolatedVmBuild } from '../../src/platform/isolated-vm.js';
import { NODE_MAJOR_OF_ABI } from '../../src/platform/node-runtime.js';
import { nodeOfLine, type NodeLine } from '../setup/node-binaries.js';
import { lockedPackage } from '../setup/registry-tarballs.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/load-isolated-vm.ts', import.meta.url));
const ABI = Number(process.versions.modules);
const MAJOR = Number(process.versions.node.split('.')[0]);

/** The build each supported line must load (docs/compatibility.md). */
const EXPECTED_BUILD: Record<number, string> = { 115: 'isolated-vm-v5', 127: 'isolated-vm-v6', 137: 'isolated-vm-v7', 147: 'isolated-vm-v7' };

interface ChildResult {
  ok: boolean;
  package?: string;
  version?: string;
  two?: number;
  btreePluginsError?: boolean;
  name?: string;
  message?: string;
  hint?: string;
}

async function child(node: string, flags: string[], args: string[] = []): Promise<ChildResult> {
  const { stdout } = await run(node, [...flags, '--import', 'tsx', CHILD, ...args], { cwd: ROOT, timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

/** node-gyp-build (which isolated-vm 6 and 7 load their binary with) into `fixture/node_modules`. */
async function copyNodeGypBuild(from: string, fixture: string): Promise<void> {
  const dest = join(fixture, 'node_modules', 'node-gyp-build');
  await mkdir(dest, { recursive: true });
  for (const file of await readdir(from)) if (file.endsWith('.js') || file === 'package.json') await copyFile(join(from, file), join(dest, file));
}

function failure(fn: () => unknown): Error & { hint?: string } {
  try {
    fn();
  } catch (e) {
    expect(isBtreePluginsError(e, 'RuntimeCompatibilityError'), String(e)).toBe(true);
    return e as Error & { hint?: string };
  }
  throw new Error('expected a RuntimeCompatibilityError');
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'btree-plugins-ivm-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('isolated-vm for the running Node', () => {
  it(`loads the alias made for this line (Node ${MAJOR}, NODE_MODULE_VERSION ${ABI}) and runs an isolate`, () => {
    const loaded = loadedIsolatedVm();
    expect(loaded.build.package).toBe(EXPECTED_BUILD[ABI]);
    expect(loaded.version).toMatch(new RegExp(`^${loaded.build.major}\\.`));
    const isolate = new loaded.module.Isolate({ memoryLimit: 16 });
    try {
      expect(isolate.compileScriptSync('6 * 7').runSync(isolate.createContextSync())).toBe(42);
    } finally {
      isolate.dispose();
    }
  });

  it('checkSandboxRuntime (root entry) reports what tenant code runs on', () => {
    expect(checkSandboxRuntime()).toEqual({ node: process.version, abi: ABI, isolatedVm: loadedIsolatedVm().version, isolatedVmPackage: EXPECTED_BUILD[ABI] });
  });

  it('the alias table matches package.json optionalDependencies', async () => {
    const pkg = createRequire(import.meta.url)('../../package.json') as { optionalDependencies: Record<string, string>; dependencies: Record<string, string> };
    expect(Object.keys(pkg.optionalDependencies).filter((d) => d.startsWith('isolated-vm')).sort()).toEqual(ISOLATED_VM_BUILDS.map((b) => b.package).sort());
    for (const b of ISOLATED_VM_BUILDS) expect(pkg.optionalDependencies[b.package]).toMatch(new RegExp(`^npm:isolated-vm@\\^${b.major}\\.`));
    expect(pkg.dependencies['isolated-vm']).toBeUndefined();
    // minNodeMajor mirrors each locked version's engines (what makes npm skip it).
    const lock = createRequire(import.meta.url)('../../package-lock.json') as { packages: Record<string, { engines?: { node?: string } }> };
    for (const b of ISOLATED_VM_BUILDS) {
      const floor = Number(/>=\s*(\d+)/.exec(lock.packages[`node_modules/${b.package}`]?.engines?.node ?? '')?.[1]);
      if (b.minNodeMajor !== undefined) expect(floor, b.package).toBe(b.minNodeMajor);
      else expect(floor, b.package).toBeLessThanOrEqual(20);
    }
  });

  it('no build installed: the error lists each alias and why, and says to reinstall', () => {
    const empty = join(work, 'empty', 'index.js');
    const error = failure(() => loadIsolatedVm({ resolveFrom: empty }));
    expect(error.message).toContain('no isolated-vm build loads in this Node');
    for (const b of ISOLATED_VM_BUILDS) expect(error.message).toContain(`${b.package}: not installed`);
    expect(error.hint).toMatch(/npm install/);
  });

  it('a process started without --no-node-snapshot is refused before any isolate exists', async () => {
    const result = await child(process.execPath, []);
    expect(result).toMatchObject({ ok: false, btreePluginsError: true, name: 'RuntimeCompatibilityError' });
    expect(result.message).toContain('started without --no-node-snapshot');
    expect(result.hint).toContain('node --no-node-snapshot');
  });

  it('the same child with the flag loads and runs an isolate (the control)', async () => {
    expect(await child(process.execPath, ['--no-node-snapshot'])).toMatchObject({ ok: true, package: EXPECTED_BUILD[ABI], two: 2 });
  });
});

describe('an isolated-vm with no binary for this Node (missing prebuilt)', () => {
  it('names the ABIs it ships binaries for and says none was built', async () => {
    // isolated-vm 7 from the lockfile (fetched when this line does not install it), without this ABI's binaries.
    const [v7, gypBuild] = await Promise.all([lockedPackage('node_modules/isolated-vm-v7'), lockedPackage('node_modules/node-gyp-build')]);
    const fixture = join(work, 'no-prebuilt');
    const dest = join(fixture, 'node_modules', 'isolated-vm-v7');
    const platformDir = `${process.platform}-${process.arch}`;
    await mkdir(join(dest, 'prebuilds', platformDir), { recursive: true });
    for (const file of ['package.json', 'isolated-vm.js']) await copyFile(join(v7, file), join(dest, file));
    const shipped = (await readdir(join(v7, 'prebuilds', platformDir))).filter((f) => !f.includes(`.abi${ABI}.`));
    for (const file of shipped) await copyFile(join(v7, 'prebuilds', platformDir, file), join(dest, 'prebuilds', platformDir, file));
    await copyNodeGypBuild(gypBuild, fixture);
    const abis = [...new Set(shipped.map((f) => Number(/\.abi(\d+)\./.exec(f)![1])))].sort((a, b) => a - b);

    const error = failure(() => loadIsolatedVm({ resolveFrom: join(fixture, 'index.js'), builds: [{ package: 'isolated-vm-v7', major: 7, prebuiltAbis: abis }] }));
    expect(error.message).toContain(`isolated-vm-v7 (isolated-vm 7.0.2): no binary for NODE_MODULE_VERSION ${ABI} (it ships ${abis.join(', ')} for ${platformDir}) and none was built`);
    expect(error.hint).toContain('npm rebuild isolated-vm-v7');
  }, 300_000);
});

describe('a build made for another Node (wrong ABI)', () => {
  const otherLine: NodeLine = MAJOR === 22 ? 24 : 22;
  let fixture: string;
  let build: IsolatedVmBuild;

  beforeAll(async () => {
    // Copy this line's build into a package whose only binary is a local build (what node-gyp
    // produces), as `npm rebuild` with another Node's nodedir would leave it.
    const loaded = loadedIsolatedVm();
    build = loaded.build;
    const src = dirname(createRequire(import.meta.url).resolve(`${build.package}/package.json`));
    fixture = join(work, 'wrong-abi');
    const dest = join(fixture, 'node_modules', build.package);
    await mkdir(join(dest, 'build', 'Release'), { recursive: true });
    for (const file of ['package.json', 'isolated-vm.js']) await copyFile(join(src, file), join(dest, file));
    let binary = join(src, 'out', 'isolated_vm.node');
    if (abiOfBinary(binary) === undefined) {
      const prebuilds = join(src, 'prebuilds', `${process.platform}-${process.arch}`);
      binary = join(prebuilds, (await readdir(prebuilds)).find((f) => f.includes(`.abi${ABI}.`) && !f.includes('musl'))!);
    }
    expect(abiOfBinary(binary)).toBe(ABI);
    await copyFile(binary, join(dest, 'build', 'Release', 'isolated_vm.node'));
    if (abiOfBinary(join(src, 'out', 'isolated_vm.node')) !== undefined) {
      await mkdir(join(dest, 'out'));
      await copyFile(binary, join(dest, 'out', 'isolated_vm.node'));
    }
    // isolated-vm 6 and 7 load their binary with node-gyp-build (5 requires out/isolated_vm.node).
    if (build.major >= 6) {
      await copyNodeGypBuild(dirname(createRequire(join(src, 'package.json')).resolve('node-gyp-build/package.json')), fixture);
    }
    await writeFile(join(fixture, 'index.js'), '');
  }, 300_000);

  it(`in Node ${otherLine}: the error names the ABI it was built for, the ABI needed, and how to rebuild`, async () => {
    const node = await nodeOfLine(otherLine, (l) => console.log(`[node ${otherLine}] ${l}`));
    const result = await child(node.bin, ['--no-node-snapshot'], [join(fixture, 'index.js'), JSON.stringify([build])]);
    expect(result).toMatchObject({ ok: false, btreePluginsError: true, name: 'RuntimeCompatibilityError' });
    const otherAbi = Object.entries(NODE_MAJOR_OF_ABI).find(([, major]) => major === otherLine)![0];
    expect(result.message).toContain(`${build.package} (isolated-vm `);
    expect(result.message).toContain(`was built for NODE_MODULE_VERSION ${ABI} (Node ${MAJOR}), this Node needs ${otherAbi}`);
    expect(result.message).not.toContain('Cannot read properties');
    expect(result.hint).toContain(`npm rebuild ${build.package}`);
    expect(result.hint).toContain('npm_config_nodedir');
  });
});
