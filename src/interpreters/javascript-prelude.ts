/**
 * Trusted code the QuickJS engine evaluates in every fresh context, around the tenant's script
 * (private helper of `javascript-worker-pool.ts` and `javascript-guest/worker.cjs`).
 *
 * QuickJS compiles source on every run (≈0.1 µs per token: this prelude is most of a warm run's
 * QuickJS time after the context itself) and there is no safe way to reuse compiled code across
 * runtimes, so the part evaluated on every run ({@link PRELUDE_SOURCE}) is kept small; the helpers
 * only needed after a failure ({@link CHECKER_SOURCE}, {@link DESCRIBE_SOURCE}) or on first use of
 * `console` ({@link CONSOLE_SOURCE}) are compiled only then. The worker evaluates the prelude once and
 * restores the memory it had then after every run (or, without a restore point, evaluates it in a
 * fresh runtime before the next job arrives), so on a warm engine its cost is off the critical path.
 *
 * {@link PRELUDE_SOURCE} evaluates to `factory(consoleSource, ...intrinsics)`. Called once in the fresh
 * context with the intrinsics named by {@link PRELUDE_INTRINSICS}, the factory keeps them, defines `console` (compiled on first use through the
 * indirect `eval` captured here), and returns `control(mode, a, b, c, d, e)`:
 * - `control(0, index, texts, maxLines, maxChars, maxResultChars, maxDepth)` → sets the limits and defines
 *   the inputs as globals: `texts` holds each input's JSON text one after the other, `index` is the JSON
 *   array `[name, start, end, …]` of where each lies. Each global parses its own text inside QuickJS on
 *   first read (no host handle per value; inputs a script never reads are never parsed) and then
 *   becomes a plain data property, as does one the script assigns first. Called when the job arrives,
 *   before the tenant's script.
 * - `control(2)` → the envelope `{"r": <result JSON>, "o": [lines], "d": dropped, "t": truncated}` as text,
 *   or the number `1` when it is longer than the cap, or `0` when it is suspect: JSON.stringify would
 *   have changed it, or threw (a cycle, a throwing getter; the checker then names the path or rethrows). The result is serialised with `JSON.stringify` and a replacer that stops at
 *   anything JSON would silently change (NaN, undefined, functions, Map, Date via toJSON, holes, symbol
 *   keys, cycles) or once the text outgrows the cap. Depth is checked on the host (`toJsonSafe`), which
 *   names the path too. The envelope crosses to the host as text and is parsed and checked there.
 * - `control(1)` → the same envelope with `"r": null` (after a failure, to keep the output).
 * - `control(3, checker)` → calls the compiled {@link CHECKER_SOURCE} with the result and the
 *   captured intrinsics; returns, as JSON text, the offending path and why (`result.items[3].x is NaN, …`) or null.
 * - `control(4, describe, thrown)` → calls the compiled {@link DESCRIBE_SOURCE} on a thrown value:
 *   `{"n": name, "m": message, "s": stack}`.
 *
 * Everything is captured before the tenant runs, so a script that overwrites globals or prototypes
 * only garbles its own output. That is not the security boundary: the worker caps every text's length
 * before copying it out of QuickJS, and the host parses the text itself and re-checks the result with
 * `toJsonSafe` and the output against its caps.
 *
 * The sources are the files in `javascript-guest/` (loaded by `guestSource`, sent as they are).
 *
 * @module
 */
import { guestSource } from '../guest-source.js';

/** File name the prelude is evaluated under (never shown to tenants as a line). */
export const PRELUDE_FILENAME = 'prelude.js';

/** File name the tenant's script is evaluated under; line numbers are parsed from `script.js:N`. */
export const SCRIPT_FILENAME = 'script.js';

/**
 * The intrinsics the prelude's factory receives after the console source, in order, as property paths
 * from the global object. The worker reads them before any tenant code runs.
 */
export const PRELUDE_INTRINSICS: readonly string[] = Object.freeze([
  'Reflect.apply', 'JSON.stringify', 'JSON.parse', 'Object.defineProperty', 'Object.getPrototypeOf', 'Array.isArray',
  'Object.prototype', 'Object.prototype.hasOwnProperty', 'Object.getOwnPropertySymbols', 'Object.prototype.propertyIsEnumerable',
  'Array.prototype', 'eval', 'Object.keys', 'String.prototype.slice', 'String', 'Error',
]);

// The prelude is compiled on every run, so javascript-guest/prelude.js is kept short. The intrinsics
// it relies on are read by the worker with handle calls (about as cheap as compiling code that reads
// them, and it keeps the prelude to its own logic) and passed in, in the order of {@link PRELUDE_INTRINSICS}.

/** The prelude (javascript-guest/prelude.js): evaluates to `factory(consoleSource, ...intrinsics)`. */
export const PRELUDE_SOURCE = guestSource('interpreters/javascript-guest/prelude.js');

/**
 * `(Q, state, maxLines, maxChars) → console` (javascript-guest/console.js): compiled on the first access
 * to `console`. Formats each call's arguments at call time (strings as is, errors as `Name: message`,
 * other values as JSON) and appends the line, JSON-encoded, to `state.o`, within the line and character caps.
 */
export const CONSOLE_SOURCE = guestSource('interpreters/javascript-guest/console.js');

/**
 * `(value, Q, maxResultChars, maxDepth) → problem | null` (javascript-guest/checker.js): walks a result
 * the fast path flagged and names the first offending path. Mirrors `toJsonSafe` (binding-core/json-copy.ts) using
 * the intrinsics `Q` captured before the script ran.
 */
export const CHECKER_SOURCE = guestSource('interpreters/javascript-guest/checker.js');

/** `(thrown, Q) → '{"n","m","s"}'` (javascript-guest/describe.js): name, message and stack of a thrown value, bounded. */
export const DESCRIBE_SOURCE = guestSource('interpreters/javascript-guest/describe.js');
