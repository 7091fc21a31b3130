/**
 * isolated-vm for the Node that is running: which build, checked before any isolate exists, with
 * errors that name the fix instead of a `TypeError` from deep inside.
 *
 * isolated-vm's native module is built for one Node ABI (`NODE_MODULE_VERSION`), and no single
 * release serves every current LTS line: 5.x builds from source and is the only one for Node 20;
 * 6.x ships prebuilt binaries for Node 22 and 24; 7.x ships them for Node 24 and 26 (and declares
 * `engines: >=24`). The package therefore depends on each as an **optional alias**
 * (`isolated-vm-v5`, `isolated-vm-v6`, `isolated-vm-v7`): npm skips an optional dependency whose
 * `engines` rule out the running Node, and removes one whose install script fails, so every line
 * ends up with the builds that work on it, from one lockfile. This module loads the first build
 * that does, preferring one shipped prebuilt for this ABI, and never loads two.
 * See docs/compatibility.md.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type IsolatedVm from 'isolated-vm';
import { RuntimeCompatibilityError } from '../errors.js';
import { nodeRuntimeProblem, NODE_MAJOR_OF_ABI, type NodeRuntime } from './node-runtime.js';

/** The isolated-vm module (its default export). */
export type IsolatedVmModule = typeof IsolatedVm;

/** One optional alias of isolated-vm this package depends on. */
export interface IsolatedVmBuild {
  /** The alias in package.json `optionalDependencies`. */
  package: string;
  /** isolated-vm major version behind it. */
  major: number;
  /** Node ABIs (`process.versions.modules`) its release ships prebuilt binaries for on linux/darwin/win32. */
  prebuiltAbis: readonly number[];
  /** The oldest Node major its `engines` allow (npm skips it on older ones); absent when it is no concern. */
  minNodeMajor?: number;
}

/** The aliases, newest first. Keep in step with package.json `optionalDependencies`. */
export const ISOLATED_VM_BUILDS: readonly IsolatedVmBuild[] = Object.freeze([
  { package: 'isolated-vm-v7', major: 7, prebuiltAbis: [137, 147], minNodeMajor: 24 },
  { package: 'isolated-vm-v6', major: 6, prebuiltAbis: [127, 137], minNodeMajor: 22 },
  { package: 'isolated-vm-v5', major: 5, prebuiltAbis: [] },
]);

/** Which isolated-vm was loaded. */
export interface LoadedIsolatedVm {
  module: IsolatedVmModule;
  build: IsolatedVmBuild;
  /** The isolated-vm version (from its package.json). */
  version: string;
}

/** Options of {@link loadIsolatedVm}; the defaults describe this process. */
export interface LoadIsolatedVmOptions {
  builds?: readonly IsolatedVmBuild[];
  /** A file or folder the aliases are resolved from (default: this module). */
  resolveFrom?: string;
  runtime?: NodeRuntime;
}

/** The running process as {@link loadIsolatedVm} sees it. */
export function currentNodeRuntime(): NodeRuntime {
  return {
    version: process.version,
    abi: Number(process.versions.modules),
    platform: process.platform,
    arch: process.arch,
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS,
  };
}

let loaded: LoadedIsolatedVm | undefined;

/**
 * isolated-vm for this process, loaded on first call.
 *
 * @throws RuntimeCompatibilityError when Node is too old, runs without `--no-node-snapshot`, or no
 *   installed build loads in it; the message lists each build and why, and the hint says what to do.
 */
export function isolatedVm(): IsolatedVmModule {
  return loadedIsolatedVm().module;
}

/** Which build {@link isolatedVm} loaded (loads it if needed). */
export function loadedIsolatedVm(): LoadedIsolatedVm {
  loaded ??= loadIsolatedVm();
  return loaded;
}

/** What tenant code runs on in this process. */
export interface SandboxRuntimeInfo {
  /** `process.version`. */
  node: string;
  /** `NODE_MODULE_VERSION` of this Node. */
  abi: number;
  /** The isolated-vm version loaded, e.g. `7.0.2`. */
  isolatedVm: string;
  /** The optional alias it was loaded from, e.g. `isolated-vm-v7`. */
  isolatedVmPackage: string;
}

/**
 * Checks at a host's start that tenant code can run in this process (supported Node,
 * `--no-node-snapshot`, an isolated-vm build that loads) instead of at the first tick, and says
 * what it runs on. Loads isolated-vm; creates no isolate.
 *
 * @throws RuntimeCompatibilityError naming what is wrong and how to fix it.
 * @example
 * ```ts
 * const runtime = checkSandboxRuntime();
 * logger.info(`tenant sandboxes: isolated-vm ${runtime.isolatedVm} on node ${runtime.node}`);
 * ```
 */
export function checkSandboxRuntime(): SandboxRuntimeInfo {
  const { build, version } = loadedIsolatedVm();
  return { node: process.version, abi: Number(process.versions.modules), isolatedVm: version, isolatedVmPackage: build.package };
}

/**
 * Checks the runtime, then loads the first build of `builds` that works here. Builds shipped
 * prebuilt for this ABI are tried first (newest first), then the others.
 * @internal Use {@link isolatedVm}; the options exist for tests.
 */
export function loadIsolatedVm(options: LoadIsolatedVmOptions = {}): LoadedIsolatedVm {
  const runtime = options.runtime ?? currentNodeRuntime();
  const runtimeName = `node ${runtime.version} (NODE_MODULE_VERSION ${runtime.abi}, ${runtime.platform}-${runtime.arch})`;
  const problem = nodeRuntimeProblem(runtime);
  if (problem) throw new RuntimeCompatibilityError(runtimeName, problem.detail, { hint: problem.hint });

  const require = createRequire(options.resolveFrom ?? import.meta.url);
  const builds = [...(options.builds ?? ISOLATED_VM_BUILDS)].sort(
    (a, b) => Number(b.prebuiltAbis.includes(runtime.abi)) - Number(a.prebuiltAbis.includes(runtime.abi)) || b.major - a.major,
  );
  const reasons: string[] = [];
  let rebuildable: string | undefined;
  for (const build of builds) {
    let packageJson: string;
    try {
      packageJson = require.resolve(`${build.package}/package.json`);
    } catch {
      reasons.push(`${build.package}: not installed${notInstalledWhy(build, runtime)}`);
      continue;
    }
    const dir = dirname(packageJson);
    const version = readVersion(packageJson);
    const label = `${build.package} (isolated-vm ${version})`;
    let module: unknown;
    try {
      module = require(build.package);
    } catch (e) {
      reasons.push(`${label}: ${whyNotLoaded(dir, e, runtime)}`);
      rebuildable ??= build.package;
      continue;
    }
    const candidate = module as Partial<IsolatedVmModule> | undefined;
    if (typeof candidate?.Isolate !== 'function') {
      reasons.push(`${label}: its native module loaded without \`Isolate\`${builtForSuffix(dir, runtime)}`);
      rebuildable ??= build.package;
      continue;
    }
    return { module: candidate as IsolatedVmModule, build, version };
  }
  const shipped = builds.filter((b) => b.prebuiltAbis.includes(runtime.abi)).map((b) => b.package);
  const hint = rebuildable
    ? `rebuild it for this Node: \`npm rebuild ${rebuildable}\` with \`npm_config_nodedir\` set to this Node's own folder (\`npm config get nodedir\` naming another Node's headers builds for the wrong ABI), or reinstall with \`npm install\` so that npm keeps the builds that fit`
    : shipped.length
      ? `reinstall with \`npm install\` on this Node: npm installs ${shipped.join(' or ')}, which ships a prebuilt binary for it`
      : `use a Node line this library supports (20, 22, 24 or 26; see docs/compatibility.md), or install a C++ compiler and run \`npm install\` so that isolated-vm builds from source`;
  throw new RuntimeCompatibilityError(runtimeName, `no isolated-vm build loads in this Node:\n${reasons.map((r) => `  - ${r}`).join('\n')}`, { hint });
}

function readVersion(packageJson: string): string {
  try {
    return String((JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown }).version ?? '?');
  } catch {
    return '?';
  }
}

function notInstalledWhy(build: IsolatedVmBuild, runtime: NodeRuntime): string {
  const node = NODE_MAJOR_OF_ABI[runtime.abi];
  if (build.minNodeMajor !== undefined && node !== undefined && node < build.minNodeMajor) return ` (npm skips it before Node ${build.minNodeMajor})`;
  if (build.prebuiltAbis.length === 0) return ' (its build from source failed, or npm left it out)';
  return build.prebuiltAbis.includes(runtime.abi) ? ' (run `npm install`)' : ` (its prebuilt binaries are for NODE_MODULE_VERSION ${build.prebuiltAbis.join(', ')} only)`;
}

/** The first line of a load failure, and what the binary says it was built for. */
function whyNotLoaded(dir: string, error: unknown, runtime: NodeRuntime): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/No native build was found/i.test(message)) {
    const abis = prebuiltAbisIn(dir, runtime);
    return `no binary for NODE_MODULE_VERSION ${runtime.abi} (it ships ${abis.length ? abis.join(', ') : 'none'} for ${runtime.platform}-${runtime.arch}) and none was built`;
  }
  const oneLine = message.replace(/\s+/g, ' ').trim();
  const shown = oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
  return `its native module did not load (${shown})${builtForSuffix(dir, runtime)}`;
}

/** ` — built for NODE_MODULE_VERSION 115 (Node 20), not 127` when a local build says so. */
function builtForSuffix(dir: string, runtime: NodeRuntime): string {
  for (const file of ['out/isolated_vm.node', 'build/Release/isolated_vm.node']) {
    const abi = abiOfBinary(join(dir, file));
    if (abi !== undefined && abi !== runtime.abi) {
      const node = NODE_MAJOR_OF_ABI[abi];
      return ` — ${file} was built for NODE_MODULE_VERSION ${abi}${node ? ` (Node ${node})` : ''}, this Node needs ${runtime.abi}`;
    }
  }
  return '';
}

const REGISTER_SYMBOL = /node_register_module_v(\d+)/;

/** The ABI a native addon registers for, read from its exported `node_register_module_v<N>` symbol. */
export function abiOfBinary(path: string): number | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  const m = REGISTER_SYMBOL.exec(bytes.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

function prebuiltAbisIn(dir: string, runtime: NodeRuntime): number[] {
  try {
    return readdirSync(join(dir, 'prebuilds', `${runtime.platform}-${runtime.arch}`))
      .map((f) => /\.abi(\d+)\./.exec(f)?.[1])
      .filter((a): a is string => a !== undefined)
      .map(Number)
      .sort((a, b) => a - b)
      .filter((a, i, all) => all.indexOf(a) === i);
  } catch {
    return [];
  }
}
