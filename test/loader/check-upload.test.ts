/**
 * `checkUpload` + `compileNode({ upload })`: a publisher checks an upload once (for its identity)
 * and compiles that checked upload without checking it again. The hazards: a look-alike object
 * must not skip the checks, and an upload checked under looser limits must not slip through a
 * stricter compile.
 */
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../src/errors.js';
import { checkUpload, compileNode, type CheckedUpload } from '../../src/loader/compile.js';
import { sourceSha256 } from '../../src/loader/hash.js';

const SOURCE =
  "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class N extends ActionNode { protected async executeTick() { return NodeStatus.SUCCESS; } }\n";

async function compileError(run: Promise<unknown>): Promise<CompileError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'compile should have failed').toBeInstanceOf(CompileError);
  return error as CompileError;
}

describe('checkUpload', () => {
  it('returns the frozen files, the entry and the identity, independent of key order', () => {
    const a = checkUpload({ files: { 'index.ts': SOURCE, 'lib/x.ts': 'export const x = 1;\n' }, entry: 'index.ts' });
    const b = checkUpload({ files: { 'lib/x.ts': 'export const x = 1;\n', 'index.ts': SOURCE }, entry: 'index.ts' });
    expect(a.sourceSha256).toBe(b.sourceSha256);
    expect(a.sourceSha256).toBe(sourceSha256({ 'index.ts': SOURCE, 'lib/x.ts': 'export const x = 1;\n' }, 'index.ts'));
    expect(Object.isFrozen(a) && Object.isFrozen(a.files)).toBe(true);
    expect(checkUpload({ source: SOURCE })).toMatchObject({ entry: 'index.ts', files: { 'index.ts': SOURCE } });
  });

  it('refuses what compileNode refuses, with the same diagnostics', async () => {
    const error = await compileError(Promise.resolve().then(() => checkUpload({ source: SOURCE }, { limits: { maxSourceBytes: 10 } })));
    expect(error.diagnostics[0]).toMatchObject({ kind: 'limit', rule: 'maxSourceBytes' });
    await compileError(Promise.resolve().then(() => checkUpload({ files: { '../up.ts': SOURCE }, entry: '../up.ts' })));
  });
});

describe('compileNode({ upload })', () => {
  it('compiles a checked upload to exactly what the raw upload compiles to', async () => {
    const fromUpload = await compileNode({ name: 'N', version: '1.0.0', upload: checkUpload({ source: SOURCE }) });
    const fromSource = await compileNode({ name: 'N', version: '1.0.0', source: SOURCE });
    expect(fromUpload).toEqual(fromSource);
  });

  it('upload-look-alike: an object checkUpload did not make is checked again', async () => {
    const forged = { files: { '../../etc/passwd.ts': SOURCE }, entry: '../../etc/passwd.ts', sourceBytes: 1, sourceSha256: 'x' } as CheckedUpload;
    const error = await compileError(compileNode({ name: 'N', version: '1.0.0', upload: forged }));
    expect(error.diagnostics[0]).toMatchObject({ kind: 'input' });
    expect(error.message).toContain('invalid file path');
  });

  it('upload-looser-limits: an upload checked under looser limits is checked again by a stricter compile', async () => {
    const upload = checkUpload({ source: SOURCE }, { limits: { maxSourceBytes: 1_000_000 } });
    const error = await compileError(compileNode({ name: 'N', version: '1.0.0', upload }, { limits: { maxSourceBytes: 10 } }));
    expect(error.diagnostics[0]).toMatchObject({ kind: 'limit', rule: 'maxSourceBytes' });
  });

  it('refuses an upload given together with source or files', async () => {
    const upload = checkUpload({ source: SOURCE });
    const error = await compileError(compileNode({ name: 'N', version: '1.0.0', upload, source: SOURCE }));
    expect(error.message).toContain('give either `upload` or `source`');
  });
});
