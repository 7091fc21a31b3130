/**
 * Python packages from a host directory of Pyodide wheels. Nothing is ever fetched from the
 * network: a package is importable when its wheel is in `packageDir`, its name and sha256 are in
 * the lock file (Pyodide's own `pyodide-lock.json`, extended or overridden by
 * `<packageDir>/pyodide-lock.json`), and the bytes match the hash. The hash is checked on the host
 * before the bytes are copied into any isolate.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { access, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type ivm from 'isolated-vm';
import { isolatedVm } from '../../platform/isolated-vm.js';
import { IntegrityError, InvalidInputError } from '../../errors.js';

/** Where the host keeps its wheels. */
export interface PythonPackageOptions {
  /** Directory holding the wheels (and optionally a `pyodide-lock.json` with extra entries). */
  packageDir: string;
  /** Lock file with extra entries; default `<packageDir>/pyodide-lock.json` when it exists. */
  lockFile?: string;
}

/** One lock entry, the fields we use. */
export interface LockEntry {
  name: string;
  version: string;
  file_name: string;
  sha256: string;
  imports: string[];
  depends: string[];
  install_dir: string;
  package_type: string;
  [key: string]: unknown;
}

/** A verified wheel ready to be copied into isolates. */
export interface PackageFile {
  /** Lock key (normalised package name). */
  name: string;
  fileName: string;
  sha256: string;
  /** Lock keys of the packages this one depends on (all in the set). */
  depends: string[];
  /** Size of the wheel, in bytes. */
  size: number;
  bytes: ivm.ExternalCopy<ArrayBuffer>;
}

/** The packages a Python engine offers, verified. */
export interface PackageSet {
  /** Merged lock file (JSON bytes) as the isolates read it. */
  lock: ivm.ExternalCopy<ArrayBuffer>;
  files: PackageFile[];
  /** Top-level import name → lock key, for the available packages only. */
  importMap: Record<string, string>;
}

interface LockFile {
  info: Record<string, unknown>;
  packages: Record<string, LockEntry>;
}

function fail(detail: string, hint: string, context: Record<string, string>): never {
  throw new InvalidInputError('invalid Python package directory', detail, { context, hint });
}

function checkEntry(key: string, e: unknown, lockPath: string): LockEntry {
  const ctx = { lockFile: lockPath, package: key };
  const hint = 'each entry needs name, version, file_name (a file in packageDir), sha256 (64 hex digits), imports, depends, install_dir "site" and package_type "package"';
  if (typeof e !== 'object' || e === null) fail('a lock entry is not an object', hint, ctx);
  const x = e as Partial<LockEntry>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (typeof x.name !== 'string' || typeof x.version !== 'string') fail('name and version must be strings', hint, ctx);
  if (typeof x.file_name !== 'string' || x.file_name !== basename(x.file_name) || x.file_name.startsWith('.')) {
    fail('file_name must be a plain file name', hint, ctx);
  }
  if (typeof x.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(x.sha256)) fail('sha256 must be 64 lowercase hex digits', hint, ctx);
  if (!strings(x.imports) || !strings(x.depends)) fail('imports and depends must be lists of strings', hint, ctx);
  return { install_dir: 'site', package_type: 'package', ...x } as LockEntry;
}

async function readLock(path: string): Promise<LockFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new InvalidInputError('invalid Python lock file', `${path} could not be read as JSON`, { cause, hint: 'write a pyodide-lock.json with a "packages" object' });
  }
  const packages = (parsed as { packages?: unknown }).packages;
  if (typeof packages !== 'object' || packages === null) {
    fail(`${path} has no "packages" object`, 'use the pyodide-lock.json format: {"info": {...}, "packages": {...}}', { lockFile: path });
  }
  const out: Record<string, LockEntry> = {};
  for (const [key, entry] of Object.entries(packages as Record<string, unknown>)) out[key] = checkEntry(key, entry, path);
  return { info: ((parsed as { info?: Record<string, unknown> }).info ?? {}), packages: out };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads, merges and verifies the packages of `packageDir` against the lock. Throws
 * {@link IntegrityError} for a wheel whose bytes do not match its sha256 and
 * {@link InvalidInputError} for a malformed lock or a missing dependency.
 */
export async function loadPackageSet(baseLockJson: string, options: PythonPackageOptions): Promise<PackageSet> {
  const dir = options.packageDir;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new InvalidInputError('invalid Python package directory', `${dir} cannot be read`, {
      cause,
      hint: 'set python.packageDir to a readable directory of Pyodide wheels',
    });
  }
  const base = JSON.parse(baseLockJson) as LockFile;
  const lockPath = options.lockFile ?? join(dir, 'pyodide-lock.json');
  const extra = options.lockFile || (await exists(lockPath)) ? await readLock(lockPath) : undefined;
  const merged: LockFile = { info: base.info, packages: { ...base.packages, ...(extra?.packages ?? {}) } };

  const present = new Set(names);
  const available = Object.entries(merged.packages).filter(([, e]) => present.has(e.file_name));
  const availableKeys = new Set(available.map(([k]) => k));
  const files: PackageFile[] = [];
  const importMap: Record<string, string> = {};
  for (const [key, entry] of available) {
    const depends: string[] = [];
    for (const dep of entry.depends) {
      if (availableKeys.has(dep)) depends.push(dep);
      else if (availableKeys.has(dep.toLowerCase())) depends.push(dep.toLowerCase());
      else {
        const depFile = merged.packages[dep]?.file_name ?? merged.packages[dep.toLowerCase()]?.file_name;
        fail(`${key} depends on ${dep}, whose wheel ${depFile ?? '(not in the lock file)'} is not in the directory`, `add ${depFile ?? `a wheel and a lock entry for ${dep}`} to ${dir}`, {
          packageDir: dir,
          package: key,
        });
      }
    }
    const bytes = await readFile(join(dir, entry.file_name));
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== entry.sha256) {
      throw new IntegrityError('Python package rejected', entry.sha256, actual, {
        context: { packageDir: dir, file: entry.file_name },
        hint: 'use the wheel the lock file was made for, or add an entry with this file\'s sha256 to <packageDir>/pyodide-lock.json',
      });
    }
    files.push({
      name: key,
      fileName: entry.file_name,
      sha256: actual,
      depends,
      size: bytes.length,
      bytes: new (isolatedVm().ExternalCopy)(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer),
    });
    for (const name of entry.imports) importMap[name] = key;
  }
  const lockBytes = new TextEncoder().encode(JSON.stringify(merged));
  return { lock: new (isolatedVm().ExternalCopy)(lockBytes.buffer as ArrayBuffer), files, importMap };
}

/**
 * The files `names` need: those packages and, transitively, their dependencies (lock keys of
 * `set`), each once.
 */
export function packageClosure(set: PackageSet, names: readonly string[]): PackageFile[] {
  const byName = new Map(set.files.map((f) => [f.name, f]));
  const out = new Map<string, PackageFile>();
  const visit = (name: string): void => {
    const file = byName.get(name);
    if (!file || out.has(name)) return;
    out.set(name, file);
    for (const dep of file.depends) visit(dep);
  };
  for (const name of names) visit(name);
  return [...out.values()];
}

/** Releases the copies held by a package set. */
export function releasePackageSet(set: PackageSet): void {
  set.lock.release();
  for (const f of set.files) f.bytes.release();
}
