/**
 * Hazard: a tenant's upload makes the compiler read host files (issue 19). esbuild honours input
 * source-map comments (paths, `file://` URLs, `data:` maps whose sources are `file://` URLs) and
 * could be pointed at other paths through imports. Every trick found is compiled in a child process
 * whose esbuild runs under strace, next to canary files with a random token: the compiler may touch
 * no path but its own (absent) working directory, no network, and nothing it returns may quote a
 * canary.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompileDiagnostic } from '../../src/errors.js';
import { VIRTUAL_WORKING_DIR } from '../../src/loader/compile.js';
import type { ScanFinding } from '../../src/loader/types.js';
import { DEBIAN_TOOLS, ensureDebianTool } from '../setup/debian-tools.js';

const run = promisify(execFile);
const TOKEN = `CANARY${randomUUID().replaceAll('-', '')}`;
const NODE = "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class N extends ActionNode { protected async executeTick() { return NodeStatus.SUCCESS; } }\n";

interface Attack {
  label: string;
  files: Record<string, string>;
  entry?: string;
  /** `compiles`: the trick is neutralised and the node builds; `refused`: the upload fails with diagnostics. */
  expect: 'compiles' | 'refused';
}

function dataUrlMap(map: object): string {
  return `data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
}

/** Every way found to make esbuild open a path. `dir` is the canary folder. */
function attacks(dir: string): Attack[] {
  const map = `${dir}/map.json`;
  const secret = `${dir}/secret.txt`;
  const climb = '../'.repeat(12) + dir.slice(1);
  const one = (label: string, source: string, expectation: Attack['expect'] = 'compiles'): Attack => ({ label, files: { 'index.ts': source }, expect: expectation });
  return [
    one('sourceMappingURL: absolute path', `${NODE}//# sourceMappingURL=${map}\n`),
    one('sourceMappingURL: absolute path to a file that is not JSON', `${NODE}//# sourceMappingURL=${secret}\n`),
    one('sourceMappingURL: file:// URL', `${NODE}//# sourceMappingURL=file://${map}\n`),
    one('sourceMappingURL: file://localhost URL', `${NODE}//# sourceMappingURL=file://localhost${map}\n`),
    one('sourceMappingURL: relative path that climbs out', `${NODE}//# sourceMappingURL=${climb}/map.json\n`),
    one('sourceMappingURL: legacy //@ form', `${NODE}//@ sourceMappingURL=${map}\n`),
    one('sourceMappingURL: block comment', `${NODE}/*# sourceMappingURL=${map} */\n`),
    one('sourceMappingURL: CRLF line ends, not at the end', `//# sourceMappingURL=${map}\r\n${NODE.replaceAll('\n', '\r\n')}`),
    one('sourceMappingURL: data: map whose sources are file:// URLs', `${NODE}//# sourceMappingURL=${dataUrlMap({ version: 3, sources: [`file://${secret}`], sourcesContent: [null], mappings: 'AAAA', names: [] })}\n`),
    one('sourceMappingURL: data: map whose sources are absolute paths', `${NODE}//# sourceMappingURL=${dataUrlMap({ version: 3, sources: [secret], mappings: 'AAAA', names: [] })}\n`),
    one('sourceMappingURL: data: map without sourcesContent', `${NODE}//# sourceMappingURL=${dataUrlMap({ version: 3, sources: [`file://${map}`], mappings: 'AAAA;AACA', names: [] })}\n`),
    {
      label: 'sourceMappingURL in a second file of a multi-file upload',
      files: { 'index.ts': `import { x } from './lib/util.js';\n${NODE}export const y = x;\n`, 'lib/util.ts': `export const x = 1;\n//# sourceMappingURL=file://${map}\n` },
      entry: 'index.ts',
      expect: 'compiles',
    },
    {
      label: 'sourceMappingURL in a .js file',
      files: { 'index.ts': `import { x } from './lib/util.js';\n${NODE}export const y = x;\n`, 'lib/util.js': `export const x = 1;\n//# sourceMappingURL=${map}\n` },
      entry: 'index.ts',
      expect: 'compiles',
    },
    {
      label: 'sourceMappingURL in a .json file',
      files: { 'index.ts': `import data from './data.json';\n${NODE}export const y = data;\n`, 'data.json': `{ "a": 1 }\n//# sourceMappingURL=${map}\n` },
      entry: 'index.ts',
      expect: 'refused',
    },
    one('sourceURL comment', `${NODE}//# sourceURL=${secret}\n`),
    one('jsxImportSource pragma', `/** @jsxImportSource ${dir} */\n${NODE}`),
    one('triple-slash reference', `/// <reference path="${secret}" />\n/// <reference types="${dir}" />\n${NODE}`),
    one('import of an absolute path', `import data from '${map}';\n${NODE}export const y = data;\n`, 'refused'),
    one('import of a file:// URL', `import data from 'file://${map}';\n${NODE}export const y = data;\n`, 'refused'),
    one('import of a data: URL', `import data from 'data:text/javascript,export default 1';\n${NODE}export const y = data;\n`, 'refused'),
    one('import that climbs out of the upload', `import data from '${climb}/map.json';\n${NODE}export const y = data;\n`, 'refused'),
    one('import with a json attribute naming a host file', `import data from '${map}' with { type: 'json' };\n${NODE}export const y = data;\n`, 'refused'),
    {
      label: 'import with a text attribute (the importer cannot choose the loader)',
      files: { 'index.ts': `import data from './data.json' with { type: 'text' };\n${NODE}export const y = data;\n`, 'data.json': '{ "a": 1 }' },
      entry: 'index.ts',
      expect: 'compiles',
    },
    one('require and require.resolve of a host path', `${NODE}export const a = require('${secret}');\nexport const b = require.resolve('${map}');\n`, 'refused'),
    one('dynamic import of a host path', `${NODE}export const a = () => import('${secret}');\n`, 'refused'),
    one('new URL(…, import.meta.url)', `${NODE}export const a = new URL('${secret}', import.meta.url);\n`),
  ];
}

interface Outcome {
  label: string;
  ok: boolean;
  message?: string;
  diagnostics?: CompileDiagnostic[];
  findings?: ScanFinding[];
  bundle?: string;
  sourceMap?: string;
}

interface TracedCall {
  syscall: string;
  strings: string[];
  text: string;
}

/** strace lines → calls. `-f` lines start with a pid; split calls (`<unfinished …>`) keep their strings on the first half. */
function parseTrace(log: string): TracedCall[] {
  const calls: TracedCall[] = [];
  for (const text of log.split('\n')) {
    const m = /^\d+\s+(?:<\.\.\.\s+)?([a-z_0-9]+)[( ]/.exec(text);
    if (!m) continue;
    const strings = [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((s) => s[1]!);
    calls.push({ syscall: m[1]!, strings, text });
  }
  return calls;
}

const NETWORK = /^(socket|socketpair|connect|bind|listen|accept4?|sendto|sendmsg|sendmmsg|recvfrom|recvmsg|recvmmsg|getsockname|getpeername|setsockopt|getsockopt|shutdown)$/;

describe('compiling reads no host file (hazard: paths named by the upload)', () => {
  let work: string;
  let canaryDir: string;
  let list: Attack[];
  let outcomes: Outcome[];
  let calls: TracedCall[];
  let rawLog: string;

  beforeAll(async () => {
    const strace = await ensureDebianTool(DEBIAN_TOOLS.strace, (line) => console.log(`[debian] ${line}`));
    work = await mkdtemp(join(tmpdir(), 'btree-plugins-compile-trace-'));
    canaryDir = await mkdtemp(join(tmpdir(), 'btree-plugins-canary-'));
    await writeFile(join(canaryDir, 'map.json'), JSON.stringify({ version: 3, sources: [`${TOKEN}.ts`], sourcesContent: [`export const ${TOKEN} = 1;`], mappings: 'AAAA', names: [] }));
    await writeFile(join(canaryDir, 'secret.txt'), `${TOKEN} is the first token of a host file\n`);
    const esbuildBinary = createRequire(createRequire(import.meta.url).resolve('esbuild')).resolve(`@esbuild/${process.platform}-${process.arch}/bin/esbuild`);
    const log = join(work, 'esbuild.strace');
    const done = join(work, 'esbuild.done');
    const wrapper = join(work, 'esbuild-traced.sh');
    const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    await writeFile(
      wrapper,
      `#!/bin/sh\n${q(strace)} -f -qq -s 4096 -e trace=%file,%network -o ${q(log)} ${q(esbuildBinary)} "$@"\nstatus=$?\n: > ${q(done)}\nexit $status\n`,
    );
    await chmod(wrapper, 0o755);

    list = attacks(canaryDir);
    // A benign compile first: the trace before its first build is esbuild's own start-up.
    const jobs = [{ label: 'benign', files: { 'index.ts': NODE }, expect: 'compiles' as const }, ...list].map((a) => ({
      label: a.label,
      input: { name: 'N', version: '1.0.0', files: a.files, ...(a.entry ? { entry: a.entry } : {}) },
    }));
    const jobFile = join(work, 'jobs.json');
    const outFile = join(work, 'outcomes.json');
    await writeFile(jobFile, JSON.stringify(jobs));
    const child = fileURLToPath(new URL('./fixtures/compile-traced.ts', import.meta.url));
    await run(process.execPath, ['--import', 'tsx', child, jobFile, outFile, wrapper], { timeout: 90_000 });
    // The traced esbuild exits when its parent closes its stdin; wait for strace to finish the log.
    for (let i = 0; i < 200 && !existsSync(done); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(done), 'the traced esbuild did not exit').toBe(true);
    outcomes = JSON.parse(await readFile(outFile, 'utf8')) as Outcome[];
    rawLog = await readFile(log, 'utf8');
    calls = parseTrace(rawLog);
  }, 180_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
    if (canaryDir) await rm(canaryDir, { recursive: true, force: true });
  });

  it('the trace saw esbuild start and build every upload (the watch is real)', () => {
    expect(calls.some((c) => c.syscall === 'execve' && c.strings.some((s) => s.endsWith('/esbuild')))).toBe(true);
    // esbuild looks at its working directory once per build: one benign compile + every attack.
    const builds = calls.filter((c) => c.strings.includes(VIRTUAL_WORKING_DIR) && c.syscall === 'openat');
    expect(builds.length).toBeGreaterThanOrEqual(list.length + 1);
    expect(outcomes.map((o) => o.label)).toEqual(['benign', ...list.map((a) => a.label)]);
  });

  it('no path outside the virtual upload is touched while compiling, and no socket is opened', () => {
    const firstBuild = calls.findIndex((c) => c.strings.includes(VIRTUAL_WORKING_DIR));
    expect(firstBuild).toBeGreaterThan(0);
    const outside = calls.slice(firstBuild).filter((c) => !NETWORK.test(c.syscall) && c.strings.some((s) => s !== VIRTUAL_WORKING_DIR));
    expect(outside.map((c) => c.text)).toEqual([]);
    expect(calls.filter((c) => NETWORK.test(c.syscall)).map((c) => c.text)).toEqual([]);
    expect(rawLog).not.toContain(canaryDir);
  });

  it('every trick is neutralised or refused, and nothing returned quotes a host file', () => {
    for (const [i, attack] of list.entries()) {
      const outcome = outcomes[i + 1]!;
      expect(outcome.label).toBe(attack.label);
      expect({ label: attack.label, ok: outcome.ok, message: outcome.message }).toMatchObject({ label: attack.label, ok: attack.expect === 'compiles' });
      expect(JSON.stringify(outcome), attack.label).not.toContain(TOKEN);
    }
  });

  it('compile errors, warnings and findings name only the uploaded (virtual) files', () => {
    for (const [i, attack] of list.entries()) {
      const outcome = outcomes[i + 1]!;
      const named = [...(outcome.diagnostics ?? []), ...(outcome.findings ?? [])].map((d) => d.file).filter((f) => f !== undefined);
      for (const file of named) expect(Object.keys(attack.files), `${attack.label}: ${file}`).toContain(file);
      if (outcome.sourceMap) expect((JSON.parse(outcome.sourceMap) as { sources: string[] }).sources.every((s) => s in attack.files), attack.label).toBe(true);
    }
  });

  it('the loader of a file follows its uploaded extension, whatever the import attributes say', () => {
    const outcome = outcomes.find((o) => o.label.startsWith('import with a text attribute'))!;
    expect(outcome.bundle).toMatch(/var data_default = \{\s*a: 1\s*\}/);
  });

  it('a disarmed source-map comment is reported to the author as an input-source-map finding', () => {
    const outcome = outcomes.find((o) => o.label === 'sourceMappingURL: absolute path')!;
    expect(outcome.findings).toContainEqual(expect.objectContaining({ rule: 'input-source-map', severity: 'info', file: 'index.ts', line: 3, column: 3 }));
  });
});
