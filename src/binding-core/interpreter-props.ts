/**
 * Props of the interpreter nodes (both languages): parsing, validation and the host's limits.
 *
 * API (stable):
 * - `checkInterpreterProps(config, { defaultOutputKey, limits }) → { ok: true, props } | { ok: false, problems }`:
 *   collects **every** problem (`script: is required …`, `timeout: "5 s" is not a duration …`) so the
 *   node class can throw the host's `ConfigurationError` listing them all.
 * - `parseDuration('500ms' | '30s' | '5m')` → milliseconds, or a problem string.
 * - `parseByteSize('64MB')` → bytes, or a problem string.
 * - `checkBlackboardKey(key)` / `checkExposableName(name)` → `undefined` when valid, else the problem.
 * - `resolveInterpreterLimits(partial, base)` and the defaults `JAVASCRIPT_LIMITS`, `PYTHON_LIMITS`.
 *
 * Props (YAML `props`, flat in the node configuration):
 * - `script` (required): non-empty source text, at most `limits.maxScriptBytes` characters.
 * - `outputKey` (default `jsResult` / `pythonResult`): a blackboard key (see {@link checkBlackboardKey}).
 * - `timeout`: `'<integer>ms' | '<integer>s' | '<integer>m'`, at most `limits.maxTimeoutMs`.
 * - `inputs`: list of blackboard keys exposed as variables (default: every exposable key whose value
 *   is JSON-safe); each must be an exposable name (see {@link checkExposableName}).
 * - `memoryLimit`: `'<integer>KB' | 'MB' | 'GB'` (binary multiples, `KiB`/`MiB`/`GiB` accepted too),
 *   between `limits.minMemoryBytes` and `limits.maxMemoryBytes`.
 * Unknown props are ignored (btree passes `id`, `name` and anything else through), as btree does.
 *
 * Pure code without Node imports: safe inside Temporal's workflow sandbox.
 *
 * @module
 */
import type { InterpreterLanguage, InterpreterLimits } from './interpreter-types.js';
import { InvalidInputError } from '../errors.js';
import { isReservedBlackboardKey } from './reserved-keys.js';

const KB = 1024;
const MB = 1024 * KB;

/** The caps both languages share: sizes of scripts, inputs, results and output, and the log rate. */
const SHARED_CAPS = {
  maxScriptBytes: 256 * KB,
  maxInputKeys: 256,
  maxInputBytes: 1 * MB,
  maxResultBytes: 1 * MB,
  maxDepth: 64,
  maxOutputLines: 1_000,
  maxOutputBytes: 64 * KB,
  logRatePerSecond: 50,
} as const;

/** Limits of `JavaScriptInterpreter` unless the host overrides them. QuickJS runs block the calling thread, so timeouts are short. */
export const JAVASCRIPT_LIMITS: Readonly<InterpreterLimits> = Object.freeze({
  defaultTimeoutMs: 5_000,
  maxTimeoutMs: 30_000,
  defaultMemoryBytes: 32 * MB,
  maxMemoryBytes: 256 * MB,
  minMemoryBytes: 1 * MB,
  ...SHARED_CAPS,
});

/** Limits of `PythonInterpreter` unless the host overrides them (the seed's 30 s default, 5 min maximum). */
export const PYTHON_LIMITS: Readonly<InterpreterLimits> = Object.freeze({
  defaultTimeoutMs: 30_000,
  maxTimeoutMs: 5 * 60_000,
  defaultMemoryBytes: 256 * MB,
  maxMemoryBytes: 1024 * MB,
  minMemoryBytes: 64 * MB,
  ...SHARED_CAPS,
});

/** What an interpreter node of one language is: its registry type, default `outputKey` and default limits. */
export interface InterpreterNodeKind {
  /** The type YAML trees name (`type: JavaScriptInterpreter`); also the class name. */
  readonly type: string;
  /** The blackboard key the result goes to when the node has no `outputKey` prop (as in the seed). */
  readonly defaultOutputKey: string;
  /** The limits unless the host overrides them. */
  readonly limits: Readonly<InterpreterLimits>;
}

/** The interpreter node of each language. Fixed: YAML trees name these types. */
export const INTERPRETER_NODES: Readonly<Record<InterpreterLanguage, InterpreterNodeKind>> = Object.freeze({
  javascript: Object.freeze({ type: 'JavaScriptInterpreter', defaultOutputKey: 'jsResult', limits: JAVASCRIPT_LIMITS }),
  python: Object.freeze({ type: 'PythonInterpreter', defaultOutputKey: 'pythonResult', limits: PYTHON_LIMITS }),
});

/**
 * Merges host overrides into a base set of limits, checking they are coherent.
 *
 * @throws InvalidInputError when a limit is not a positive finite number or a default exceeds its maximum
 * (a host programming error, reported at startup rather than per tick).
 */
export function resolveInterpreterLimits(overrides: Partial<InterpreterLimits> | undefined, base: Readonly<InterpreterLimits>): InterpreterLimits {
  const limits: InterpreterLimits = { ...base };
  const bad = (detail: string): never => {
    throw new InvalidInputError('interpreter limits rejected', detail, { hint: 'fix the interpreter limits passed to the host (new PluginHost({ interpreters }) or createPluginActivities)' });
  };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (!(k in base)) bad(`unknown limit "${k}"; known: ${Object.keys(base).join(', ')}`);
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(`${k} must be a positive finite number, got ${String(v)}`);
    (limits as unknown as Record<string, number>)[k] = v;
  }
  if (limits.defaultTimeoutMs > limits.maxTimeoutMs) bad('defaultTimeoutMs exceeds maxTimeoutMs');
  if (limits.defaultMemoryBytes > limits.maxMemoryBytes) bad('defaultMemoryBytes exceeds maxMemoryBytes');
  if (limits.minMemoryBytes > limits.defaultMemoryBytes) bad('minMemoryBytes exceeds defaultMemoryBytes');
  return limits;
}

/** Validated props of an interpreter node. */
export interface InterpreterProps {
  script: string;
  outputKey: string;
  timeoutMs: number;
  memoryLimitBytes: number;
  /** Keys to expose; `undefined` means every exposable key with a JSON-safe value. */
  inputs: string[] | undefined;
}

/** Outcome of {@link checkInterpreterProps}. */
export type InterpreterPropsResult = { ok: true; props: InterpreterProps } | { ok: false; problems: string[] };

/** Options of {@link checkInterpreterProps}. */
export interface CheckInterpreterPropsOptions {
  /** `jsResult` or `pythonResult`. */
  defaultOutputKey: string;
  limits: Readonly<InterpreterLimits>;
}

/**
 * Reserved words of JavaScript and Python, plus the names the engines bind themselves: an input with
 * one of these names could not be a variable (or would break the engine's prelude).
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  // JavaScript
  'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in', 'instanceof', 'interface',
  'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static', 'super', 'switch', 'this', 'throw',
  'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'arguments', 'eval', 'undefined', 'NaN', 'Infinity', 'globalThis',
  // Python
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'def', 'del', 'elif', 'except', 'from', 'global', 'is', 'lambda',
  'nonlocal', 'not', 'or', 'pass', 'raise', '__builtins__', '__name__', '__file__',
  // bound by the engines: the script's output variable
  'result',
]);

const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Checks a blackboard key an interpreter node writes (`outputKey`): 1–128 characters of
 * `A-Z a-z 0-9 _ . : -`, starting with a letter or `_`, and not an `Object.prototype` member name
 * (`__proto__`, `constructor`, `toString`, …).
 *
 * @returns `undefined` when valid, else what is wrong.
 */
export function checkBlackboardKey(key: unknown): string | undefined {
  if (typeof key !== 'string') return `must be a string, got ${describe(key)}`;
  if (!KEY_PATTERN.test(key)) return `${quote(key)} is not a valid blackboard key (1-128 characters of A-Z a-z 0-9 _ . : -, starting with a letter or _)`;
  if (isReservedBlackboardKey(key)) return `${quote(key)} is an Object.prototype member name, which btree's blackboard cannot store safely`;
  return undefined;
}

/**
 * Checks a blackboard key that becomes a script variable: an identifier valid in both languages
 * (`[A-Za-z_][A-Za-z0-9_]*`, at most 128 characters), not a reserved word of either language, not
 * `result` and not an `Object.prototype` member name.
 *
 * @returns `undefined` when valid, else what is wrong.
 */
export function checkExposableName(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a string, got ${describe(name)}`;
  if (!NAME_PATTERN.test(name)) return `${quote(name)} cannot be a script variable (use 1-128 characters of A-Z a-z 0-9 _, not starting with a digit)`;
  if (isReservedBlackboardKey(name)) return `${quote(name)} is an Object.prototype member name, which btree's blackboard cannot store safely`;
  if (RESERVED_NAMES.has(name)) return `${quote(name)} is a reserved word or a name the interpreter binds itself`;
  return undefined;
}

/** True when a blackboard key can be exposed to a script as a variable. */
export function isExposableName(name: string): boolean {
  return checkExposableName(name) === undefined;
}

const DURATION = /^(\d{1,9})(ms|s|m)$/;

/**
 * Parses a duration prop: `'500ms'`, `'30s'`, `'5m'` (an integer and a unit, no spaces).
 *
 * @returns milliseconds, or a string saying what is wrong.
 */
export function parseDuration(text: unknown): number | string {
  if (typeof text !== 'string') return `must be a string such as '500ms', '30s' or '5m', got ${describe(text)}`;
  const m = DURATION.exec(text);
  if (!m) return `${quote(text)} is not a duration; write an integer and a unit: '500ms', '30s' or '5m'`;
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
  if (ms <= 0) return `${quote(text)} must be longer than 0`;
  return ms;
}

const SIZE = /^(\d{1,9})(B|KB|KiB|MB|MiB|GB|GiB)$/;
const SIZE_UNITS: Record<string, number> = { B: 1, KB: KB, KiB: KB, MB: MB, MiB: MB, GB: 1024 * MB, GiB: 1024 * MB };

/**
 * Parses a memory size prop: `'64MB'`, `'512KB'`, `'1GB'` (binary multiples: 1 MB = 1024 KB).
 *
 * @returns bytes, or a string saying what is wrong.
 */
export function parseByteSize(text: unknown): number | string {
  if (typeof text !== 'string') return `must be a string such as '64MB', got ${describe(text)}`;
  const m = SIZE.exec(text);
  if (!m) return `${quote(text)} is not a size; write an integer and a unit: '512KB', '64MB' or '1GB'`;
  const bytes = Number(m[1]) * (SIZE_UNITS[m[2] as string] as number);
  if (bytes <= 0) return `${quote(text)} must be larger than 0`;
  return bytes;
}

/**
 * Validates the props of an interpreter node and collects every problem.
 *
 * @example
 * ```ts
 * const r = checkInterpreterProps({ id: 'n1', script: 'result = 1', timeout: '5 s' },
 *   { defaultOutputKey: 'jsResult', limits: JAVASCRIPT_LIMITS });
 * // r.ok === false, r.problems === ["timeout: \"5 s\" is not a duration; …"]
 * ```
 */
export function checkInterpreterProps(config: Readonly<Record<string, unknown>>, options: CheckInterpreterPropsOptions): InterpreterPropsResult {
  const { limits } = options;
  const problems: string[] = [];

  const script = config.script;
  if (script === undefined || script === null) problems.push('script: is required; put the source text under props.script');
  else if (typeof script !== 'string') problems.push(`script: must be a string, got ${describe(script)}`);
  else if (script.trim() === '') problems.push('script: must not be empty');
  else if (script.length > limits.maxScriptBytes) problems.push(`script: is ${script.length} characters, over the ${limits.maxScriptBytes}-character limit`);

  let outputKey = options.defaultOutputKey;
  if (config.outputKey !== undefined) {
    const p = checkBlackboardKey(config.outputKey);
    if (p) problems.push(`outputKey: ${p}`);
    else outputKey = config.outputKey as string;
  }

  let timeoutMs = limits.defaultTimeoutMs;
  if (config.timeout !== undefined) {
    const t = parseDuration(config.timeout);
    if (typeof t === 'string') problems.push(`timeout: ${t}`);
    else if (t > limits.maxTimeoutMs) problems.push(`timeout: ${quote(String(config.timeout))} is over the host's limit of ${formatMs(limits.maxTimeoutMs)}`);
    else timeoutMs = t;
  }

  let memoryLimitBytes = limits.defaultMemoryBytes;
  if (config.memoryLimit !== undefined) {
    const b = parseByteSize(config.memoryLimit);
    if (typeof b === 'string') problems.push(`memoryLimit: ${b}`);
    else if (b > limits.maxMemoryBytes) problems.push(`memoryLimit: ${quote(String(config.memoryLimit))} is over the host's limit of ${formatBytes(limits.maxMemoryBytes)}`);
    else if (b < limits.minMemoryBytes) problems.push(`memoryLimit: ${quote(String(config.memoryLimit))} is under the minimum of ${formatBytes(limits.minMemoryBytes)}`);
    else memoryLimitBytes = b;
  }

  let inputs: string[] | undefined;
  if (config.inputs !== undefined) {
    if (!Array.isArray(config.inputs)) problems.push(`inputs: must be a list of blackboard keys, got ${describe(config.inputs)}`);
    else if (config.inputs.length > limits.maxInputKeys) problems.push(`inputs: lists ${config.inputs.length} keys, over the limit of ${limits.maxInputKeys}`);
    else {
      const seen = new Set<string>();
      config.inputs.forEach((key: unknown, i) => {
        const p = checkExposableName(key);
        if (p) problems.push(`inputs[${i}]: ${p}`);
        else if (seen.has(key as string)) problems.push(`inputs[${i}]: ${quote(key as string)} is listed twice`);
        else seen.add(key as string);
      });
      inputs = [...seen];
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, props: { script: script as string, outputKey, timeoutMs, memoryLimitBytes, inputs } };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

function quote(s: string): string {
  const q = JSON.stringify(s);
  return q.length > 80 ? `${q.slice(0, 70)}…"` : q;
}

/** `30000` → `30s`, `90000` → `90s`, `500` → `500ms`. */
export function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `33554432` → `32MB`. */
export function formatBytes(bytes: number): string {
  if (bytes % (1024 * MB) === 0) return `${bytes / (1024 * MB)}GB`;
  if (bytes % MB === 0) return `${bytes / MB}MB`;
  if (bytes % KB === 0) return `${bytes / KB}KB`;
  return `${bytes}B`;
}
