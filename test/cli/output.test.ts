/**
 * How the CLI speaks: colour and the spinner only on a terminal (and never with NO_COLOR or
 * --json), one JSON document in JSON mode, and failures as one line plus a hint.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT, Output, cliErrorOf, type CliIo } from '../../src/cli/output.js';
import { InvalidInputError } from '../../src/errors.js';

function stream(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const s = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY: boolean; text: () => string; columns: number };
  s.isTTY = isTTY;
  s.columns = 80;
  s.text = () => chunks.join('');
  return s;
}

function io(isTTY: boolean, env: Record<string, string> = {}): CliIo & { stdout: ReturnType<typeof stream>; stderr: ReturnType<typeof stream> } {
  return { stdout: stream(isTTY), stderr: stream(isTTY), env: { TERM: 'xterm', ...env }, cwd: '/' };
}

const ESC = '\u001b[';

describe('Output', () => {
  it('colours errors on a terminal, not in a pipe, not with NO_COLOR', () => {
    for (const [tty, env, coloured] of [[true, {}, true], [false, {}, false], [true, { NO_COLOR: '1' }, false], [false, { FORCE_COLOR: '1' }, true]] as const) {
      const x = io(tty, env);
      new Output(x, false).error(new CliError('it broke', EXIT.remote, 'fix it'));
      expect(x.stderr.text().includes(ESC), JSON.stringify({ tty, env })).toBe(coloured);
      expect(x.stderr.text().replace(/\u001b\[\d+m/g, '')).toBe('error it broke\nhint  fix it\n');
    }
  });

  it('shows a spinner on a terminal and plain lines in a pipe', async () => {
    const tty = io(true);
    const p = await new Output(tty, false).progress('uploading');
    await new Promise((r) => setTimeout(r, 300)); // the spinner draws its frames on a timer
    p.done('uploaded');
    expect(tty.stdout.text()).toContain('uploading');
    expect(tty.stdout.text()).toContain('uploaded');
    expect(tty.stdout.text()).toContain(ESC);
    const pipe = io(false);
    const q = await new Output(pipe, false).progress('uploading');
    q.done('uploaded');
    expect(pipe.stdout.text()).toBe('uploading…\nuploaded\n');
  });

  it('prints only the JSON document in JSON mode, errors included, with what was done before', async () => {
    const x = io(true);
    const out = new Output(x, true);
    out.line('human text');
    out.warn('a warning');
    (await out.progress('uploading')).done('uploaded');
    out.error(new CliError('refused', EXIT.remote, 'retry', 'REMOTE', { deployed: [] }));
    expect(JSON.parse(x.stdout.text())).toEqual({ ok: false, deployed: [], error: { code: 'REMOTE', message: 'refused', hint: 'retry' } });
    expect(x.stderr.text()).toBe('');
  });

  it("turns a library error into one line with the library's hint", () => {
    const e = cliErrorOf(new InvalidInputError('invalid', 'first line\nsecond line', { hint: 'do this' }), EXIT.usage);
    expect(e).toMatchObject({ message: 'first line', hint: 'do this', exitCode: 2, code: 'USAGE' });
  });
});
