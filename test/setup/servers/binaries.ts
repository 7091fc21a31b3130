/**
 * Finds or builds the Go binaries of the test servers. Order (DESIGN.md "Real parts"): a cached
 * build → `go install <module>@<pinned version>` into the cache → a clear error naming what to
 * install. The cache lives outside the checkout so that fresh clones (CI) reuse it.
 */
import { execFile } from 'node:child_process';
import { access, constants, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A server binary built from a pinned Go module version. */
export interface GoTool {
  /** Short name, used for the cache folder (`<name>-<version>`). */
  name: string;
  /** Go package path passed to `go install`. */
  module: string;
  /** Pinned version (a tag). */
  version: string;
  /** Name of the executable `go install` produces. */
  binary: string;
  /** What to tell a user who has no Go: how else to get this server. */
  alternative: string;
}

/** The pinned servers. Bump a version here and the cache key changes with it. */
export const TOOLS = {
  versitygw: {
    name: 'versitygw',
    module: 'github.com/versity/versitygw/cmd/versitygw',
    version: 'v1.8.0',
    binary: 'versitygw',
    alternative: 'or run any S3 server yourself and set BTREE_PLUGINS_S3_ENDPOINT (+ BTREE_PLUGINS_S3_ACCESS_KEY, BTREE_PLUGINS_S3_SECRET_KEY)',
  },
  fakeGcs: {
    name: 'fake-gcs-server',
    module: 'github.com/fsouza/fake-gcs-server',
    version: 'v1.55.1',
    binary: 'fake-gcs-server',
    alternative: 'or run fake-gcs-server yourself (e.g. its Docker image) and set BTREE_PLUGINS_GCS_ENDPOINT',
  },
  temporal: {
    name: 'temporal',
    module: 'github.com/temporalio/cli/cmd/temporal',
    version: 'v1.5.1',
    binary: 'temporal',
    alternative: 'or install the Temporal CLI (https://docs.temporal.io/cli), run `temporal server start-dev`, and set TEMPORAL_ADDRESS',
  },
} as const satisfies Record<string, GoTool>;

/** Root of the build cache: `$BTREE_PLUGINS_CACHE_DIR`, else `$XDG_CACHE_HOME/btree-plugins`, else `~/.cache/btree-plugins`. */
export function cacheRoot(): string {
  if (process.env.BTREE_PLUGINS_CACHE_DIR) return process.env.BTREE_PLUGINS_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'btree-plugins');
}

/** Where the cached binary of `tool` lives. */
export function binaryPath(tool: GoTool): string {
  return join(cacheRoot(), 'bin', `${tool.name}-${tool.version}`, tool.binary);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function hasGo(): Promise<boolean> {
  try {
    await run('go', ['version'], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Installs started by this process, so concurrent callers share one build. */
const inFlight = new Map<string, Promise<string>>();

/**
 * Path of an executable `tool`, building it with `go install` when it is not cached.
 * @throws Error saying what to install when there is no cached build and no Go toolchain.
 */
export function ensureBinary(tool: GoTool, log: (line: string) => void = () => {}): Promise<string> {
  const target = binaryPath(tool);
  let pending = inFlight.get(target);
  if (!pending) {
    pending = ensureBinaryUncached(tool, target, log);
    inFlight.set(target, pending);
    pending.catch(() => inFlight.delete(target));
  }
  return pending;
}

async function ensureBinaryUncached(tool: GoTool, target: string, log: (line: string) => void): Promise<string> {
  if (await isExecutable(target)) return target;
  const spec = `${tool.module}@${tool.version}`;
  if (!(await hasGo())) {
    throw new Error(
      `test server ${tool.name} is not built [cache=${target}]: Go is not installed, so \`go install ${spec}\` cannot run. ` +
        `HINT: install Go >= 1.24 (https://go.dev/dl) and rerun, ${tool.alternative}`,
    );
  }
  log(`building ${spec} (once; cached in ${dirname(target)})`);
  // Build into a private folder and rename into place, so that two test runs building at the same
  // time never see a half-written binary.
  const parent = dirname(dirname(target));
  await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(join(parent, `.${tool.name}-build-`));
  try {
    await run('go', ['install', spec], {
      env: { ...process.env, GOBIN: staging, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
      timeout: 30 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    await mkdir(dirname(target), { recursive: true });
    await rename(join(staging, tool.binary), target);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`go install ${spec} failed: ${stderr.trim().split('\n').slice(-20).join('\n') || String(error)}`, {
      cause: error,
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}
