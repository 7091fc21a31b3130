/**
 * How the CLI speaks: exit codes, the one error type commands throw, human lines (coloured on a
 * terminal only) or one JSON document per command, and a spinner on a terminal.
 *
 * @module
 */
import { createColors } from 'picocolors';
import { isBtreePluginsError } from '../errors.js';

/** Exit codes, as docs/cli.md lists them. */
export const EXIT = Object.freeze({
  ok: 0,
  /** A node failed validation or its tests, or did not compile. */
  failed: 1,
  /** The command line was wrong: unknown flag, missing option, bad value, a file in the way. */
  usage: 2,
  /** The API or the store refused or could not be reached (network, token, conflict, policy). */
  remote: 3,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports as one line (plus a hint) and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
    readonly code = exitCode === EXIT.usage ? 'USAGE' : exitCode === EXIT.remote ? 'REMOTE' : 'FAILED',
    /** More fields of the JSON document (e.g. what was done before the failure). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Where output goes; the tests give their own streams. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** A spinner's handle. */
export interface Progress {
  update(message: string): void;
  done(message: string): void;
  fail(message: string): void;
}

/** Human or JSON output of one command. */
export class Output {
  readonly json: boolean;
  readonly color: ReturnType<typeof createColors>;
  readonly #io: CliIo;
  readonly #tty: boolean;

  constructor(io: CliIo, json: boolean) {
    this.#io = io;
    this.json = json;
    this.#tty = io.stdout.isTTY === true;
    const env = io.env;
    const colour = !json && this.#tty && env.NO_COLOR === undefined && env.TERM !== 'dumb';
    this.color = createColors(env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' ? !json : colour);
  }

  /** A line for people (nothing in JSON mode). */
  line(text = ''): void {
    if (!this.json) this.#io.stdout.write(`${text}\n`);
  }

  /** A warning for people, on stderr (nothing in JSON mode). */
  warn(text: string): void {
    if (!this.json) this.#io.stderr.write(`${this.color.yellow('warning')} ${text}\n`);
  }

  /** The command's JSON document (JSON mode only). */
  result(document: unknown): void {
    if (this.json) this.#io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }

  /**
   * A spinner on a terminal (@clack/prompts, loaded only then); plain lines otherwise, and nothing
   * in JSON mode.
   */
  async progress(message: string): Promise<Progress> {
    if (this.json) return { update() {}, done() {}, fail() {} };
    if (!this.#tty) {
      this.line(`${message}…`);
      return { update: () => {}, done: (m) => this.line(m), fail: (m) => this.#io.stderr.write(`${m}\n`) };
    }
    const { spinner } = await import('@clack/prompts');
    const s = spinner({ output: this.#io.stdout as NodeJS.WriteStream });
    s.start(message);
    return { update: (m) => s.message(m), done: (m) => s.stop(m), fail: (m) => s.error(m) };
  }

  /** Reports a failure: one line and a hint on stderr, or `{ error }` as the JSON document. */
  error(e: CliError): void {
    if (this.json) {
      const error = { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
      this.#io.stdout.write(`${JSON.stringify({ ok: false, ...e.details, error }, null, 2)}\n`);
      return;
    }
    this.#io.stderr.write(`${this.color.red('error')} ${e.message}\n`);
    if (e.hint) this.#io.stderr.write(`${this.color.dim('hint')}  ${e.hint}\n`);
  }
}

/**
 * Turns a library error into a {@link CliError}: its detail as the message (one line), its hint,
 * and `exitCode`.
 */
export function cliErrorOf(e: unknown, exitCode: ExitCode): CliError {
  if (e instanceof CliError) return e;
  if (isBtreePluginsError(e)) return new CliError(oneLine(e.detail ?? e.message), exitCode, e.hint);
  return new CliError(oneLine(e instanceof Error ? e.message : String(e)), exitCode);
}

/** The first line of a text, cut at 500 characters. */
export function oneLine(text: string): string {
  const first = text.split('\n')[0]!.trim();
  return first.length > 500 ? `${first.slice(0, 497)}…` : first;
}
