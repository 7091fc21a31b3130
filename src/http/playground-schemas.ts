/**
 * The JSON Schemas of the playground routes (validation, serialization, OpenAPI), next to the
 * upload API's in schemas.ts. As there, the rules that guard a boundary (a script's size and
 * variables, a node's props and blackboard) are the library's, checked by the route through the
 * same code a tree runs; these schemas fix types and bound sizes.
 *
 * @module
 */
import { Type } from '@sinclair/typebox';
import type { InterpreterLanguage, ScriptErrorKind } from '../binding-core/interpreter-types.js';
import { errors, NODE_NAME, VERSION } from './schemas.js';

/** Body limit of the playground routes: a script of up to {@link PLAYGROUND_MAX_SCRIPT_CHARS} characters, JSON-escaped, with its sample blackboard. */
export const PLAYGROUND_BODY_LIMIT = 128 * 1024;
/** Longest playground script, in characters (a tree's interpreter node may hold longer ones: the playground is for trying things out). */
export const PLAYGROUND_MAX_SCRIPT_CHARS = 64 * 1024;

const LANGUAGE = Type.Unsafe<InterpreterLanguage>({ type: 'string', enum: ['javascript', 'python'] satisfies InterpreterLanguage[], description: 'the interpreter: `javascript` (QuickJS) or `python` (Pyodide)' });
const ERROR_KIND = Type.Unsafe<ScriptErrorKind>({
  type: 'string',
  enum: ['syntax', 'runtime', 'timeout', 'memory', 'output', 'result', 'aborted'] satisfies ScriptErrorKind[],
  description: 'syntax: does not parse; runtime: threw; timeout, memory, output: broke that limit; result: `result` is not JSON data or too big; aborted: the client went away',
});
const SAMPLE = Type.Record(Type.String(), Type.Unknown(), { description: 'a sample blackboard: key → JSON value' });

export const runScriptSchema = {
  summary: 'Run a script in an interpreter, against a sample blackboard',
  description:
    'Runs the script as a `JavaScriptInterpreter` or `PythonInterpreter` node of a tree would: the blackboard keys that can be variables are its variables, ' +
    'what it leaves in `result` is `value`, under the limits the host set for that interpreter. A script that fails answers 200 with `ok: false` and the error ' +
    '(kind, message, line); a language the host did not enable answers 409 `INTERPRETER_DISABLED`.',
  body: Type.Object(
    {
      language: LANGUAGE,
      script: Type.String({ minLength: 1, maxLength: PLAYGROUND_MAX_SCRIPT_CHARS }),
      blackboard: Type.Optional(SAMPLE),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({
      ok: Type.Boolean(),
      value: Type.Optional(Type.Unknown({ description: 'with `ok: true`: what the script left in `result` (JSON)' })),
      error: Type.Optional(Type.Object({ kind: ERROR_KIND, message: Type.String(), line: Type.Optional(Type.Integer({ description: '1-based line of the script' })) })),
      output: Type.Array(Type.String(), { description: 'the lines the script printed, in order' }),
      truncatedOutput: Type.Optional(Type.Boolean({ description: 'true when the output was cut at the interpreter\'s line or size limit' })),
      ignoredKeys: Type.Optional(Type.Array(Type.String(), { description: 'blackboard keys the script did not get: names that cannot be variables, or null values (as in a tree)' })),
      durationMs: Type.Number({ description: 'wall-clock time of the run' }),
    }),
    ...errors(403, 404, 409, 413, 415),
  },
};

export const runNodeSchema = {
  summary: 'Run one tick of a custom node, against a sample blackboard',
  description:
    'Runs one tick of a version of the tenant\'s node (or of a marketplace install) in the sandbox, as a tree would: the props are checked against the version\'s props schema (400 `INVALID_PROPS`), ' +
    'the blackboard is copied under the tenant\'s limits, and the writes are checked before they are applied. Without `version`, the active version runs; a draft or rejected version answers 409. ' +
    'The tick is a real one: the capabilities the node calls are the host\'s.',
  body: Type.Object(
    {
      name: NODE_NAME,
      version: Type.Optional(VERSION),
      props: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'the node\'s props, as a tree would give them' })),
      blackboard: Type.Optional(SAMPLE),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({
      name: NODE_NAME,
      version: VERSION,
      status: Type.Unsafe<'SUCCESS' | 'FAILURE' | 'RUNNING'>({ type: 'string', enum: ['SUCCESS', 'FAILURE', 'RUNNING'] }),
      writes: Type.Record(Type.String(), Type.Unknown(), { description: 'keys the tick set, with their values (none when its writes were refused)' }),
      deletes: Type.Array(Type.String(), { description: 'keys the tick deleted' }),
      error: Type.Optional(Type.String({ description: 'with FAILURE: why, as `lastError` in a tree' })),
      limit: Type.Optional(Type.String({ description: 'the sandbox limit the tick broke, e.g. `cpuTimeMs`' })),
      logs: Type.Array(Type.Object({ level: Type.String({ description: '`debug`, `info`, `warn` or `error`' }), message: Type.String() })),
      usage: Type.Object({
        cpuMs: Type.Number({ description: 'CPU time of the tick (what `cpuTimeMs` limits)' }),
        wallMs: Type.Number({ description: 'wall-clock time, awaited capabilities included (what `wallTimeMs` limits)' }),
        heapBytes: Type.Optional(Type.Number({ description: 'heap in use by the tenant\'s isolate when the tick ended (what `memoryMb` limits)' })),
      }),
      warnings: Type.Optional(Type.Array(Type.String(), { description: 'e.g. that the version is deprecated' })),
    }),
    ...errors(403, 404, 409, 413, 415),
  },
};
