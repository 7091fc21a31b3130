/**
 * The host btree node class shared by `JavaScriptInterpreter` and `PythonInterpreter`.
 *
 * API (stable):
 * - `createInterpreterNodeClass(btree, engine, { limits?, logger?, logForwarder?, tenantId? })` returns a
 *   class extending the host's `btree.ActionNode` for the engine's language: its `name` is the
 *   language's type (`INTERPRETER_NODES[language].type`, btree uses the class name as `node.type`), its
 *   default `outputKey` and limits are that language's. Register it with
 *   `registry.register(type, cls, interpreterNodeMetadata(language))`.
 * - `interpreterNodeMetadata(language)` → registry metadata (category `action`, ports).
 * - `collectScriptInputs(blackboard, inputs, limits)` → the JSON-safe copy of the keys a script sees.
 *
 * Behaviour:
 * - The constructor validates the props (`interpreter-props.ts`) and throws the **host's** `ConfigurationError`
 *   listing every problem, so a bad tree fails when it is built, not when it ticks.
 * - `executeTick` copies the exposed blackboard keys (JSON-safe, size-capped), runs the engine, and on
 *   success sets `outputKey` and returns SUCCESS; on failure sets `_lastError` to
 *   `<typeName> failed: <message> (line N)` and returns FAILURE. It never throws, so one bad script
 *   cannot reject the whole workflow.
 * - Captured output goes to the host logger through the shared guest-log rule (`binding-core/guest-log.ts`):
 *   one `info` line per captured line, prefixed `[<typeName>:<node name>]`, control characters escaped,
 *   tagged with tenant, node type, node id and `source: 'guest'`, rate-limited per tenant.
 *
 * This file imports no engine: the Temporal workflow entry can build node classes whose engine is an
 * activity proxy.
 *
 * @module
 */
import { escapeLogLine, GuestLogForwarder, type GuestLogSink } from './guest-log.js';
import type { BtreeModule, HostBlackboard, HostLeafNode, HostNodeConfiguration, HostNodeMetadata, HostTickContext, NodeStatusValue } from './host-btree.js';
import { copyJsonRecord, toJsonSafe } from './json-copy.js';
import { checkInterpreterProps, INTERPRETER_NODES, isExposableName, resolveInterpreterLimits, type InterpreterProps } from './interpreter-props.js';
import type { InterpreterEngine, InterpreterLanguage, InterpreterLimits, InterpreterLogFields, InterpreterLogger, JsonValue } from './interpreter-types.js';

/** Options of {@link createInterpreterNodeClass}. */
export interface InterpreterNodeOptions {
  /** Host overrides of the language's limits (`INTERPRETER_NODES[language].limits`). */
  limits?: Partial<InterpreterLimits>;
  /** Host logger for captured output. Default: `console`, prefixed like btree's own node logs. */
  logger?: InterpreterLogger;
  /**
   * The forwarder captured output goes through (escaping, tags, per-tenant rate). Pass the host's
   * shared one so that a tenant's scripts and custom nodes draw on one rate; default: a forwarder of
   * this class's own in front of `logger`.
   */
  logForwarder?: GuestLogForwarder;
  /** Tenant whose trees use this class; passed to the engine (warm state is kept per tenant) and to logs. */
  tenantId?: string;
}

/** A class the host registry can instantiate. */
export type InterpreterNodeClass = new (config: HostNodeConfiguration) => HostLeafNode;

/** What a script sees: the copied inputs, or why they could not be copied. */
export type CollectedInputs = { ok: true; inputs: Record<string, JsonValue>; bytes: number } | { ok: false; message: string };

/**
 * Copies the blackboard keys a script sees.
 * - `inputs` given: exactly those keys; a missing key (or `undefined` value) is exposed as `null`; a
 *   value that is not JSON-safe is an error naming the key and the path inside it.
 * - `inputs` absent: every key (inherited scopes included) that can be a variable and whose value is
 *   JSON-safe; other keys are skipped silently.
 * - Either way the total JSON text must fit in `limits.maxInputBytes`.
 */
export function collectScriptInputs(blackboard: HostBlackboard, inputs: readonly string[] | undefined, limits: Readonly<InterpreterLimits>): CollectedInputs {
  // Listed inputs must all be JSON data (a missing one is null); unlisted keys are offered when they are.
  const copy = copyJsonRecord(
    inputs ?? blackboard.keys().filter(isExposableName),
    (key) => blackboard.get(key) ?? (inputs ? null : undefined),
    // Frozen: the engine then trusts this copy instead of walking it again.
    { onUnsafe: inputs ? 'reject' : 'skip', undefinedValues: 'skip', maxDepth: limits.maxDepth, maxBytes: limits.maxInputBytes, freeze: true },
  );
  if (copy.ok) return { ok: true, inputs: copy.value, bytes: copy.bytes };
  if (copy.reason === 'size') {
    return {
      ok: false,
      message: `the blackboard values exposed to the script are over the ${limits.maxInputBytes}-character input limit. HINT: list only the keys the script needs in props.inputs`,
    };
  }
  return { ok: false, message: `input ${copy.message}` };
}

/** Registry metadata of an interpreter node. */
export function interpreterNodeMetadata(language: InterpreterLanguage): HostNodeMetadata {
  const { type: typeName, defaultOutputKey } = INTERPRETER_NODES[language];
  return {
    category: 'action',
    description: `${typeName}: runs an inline script in a sandbox; what it leaves in \`result\` is written to outputKey`,
    ports: [{ name: 'outputKey', type: 'output', description: 'blackboard key that receives the result', defaultValue: defaultOutputKey }],
  };
}

const consoleLogger: InterpreterLogger = {
  // eslint-disable-next-line no-console
  info: (message) => console.log(message),
  // eslint-disable-next-line no-console
  warn: (message) => console.warn(message),
};

/** The interpreter logger (info and warn) as a guest-log sink. */
function interpreterSink(logger: InterpreterLogger): GuestLogSink {
  return {
    debug: (message, fields) => logger.info(message, fields as InterpreterLogFields),
    info: (message, fields) => logger.info(message, fields as InterpreterLogFields),
    warn: (message, fields) => logger.warn(message, fields as InterpreterLogFields),
    error: (message, fields) => logger.warn(message, fields as InterpreterLogFields),
  };
}

/** The protected members of btree's BaseNode this class uses. */
interface ActionNodeInternals extends HostLeafNode {
  _lastError?: string;
}

/**
 * Creates the host node class of an interpreter.
 *
 * @example
 * ```ts
 * const engine = new QuickJsEngine();
 * const JavaScriptInterpreter = createInterpreterNodeClass(btree, engine, { tenantId: 'acme' });
 * registry.register(JavaScriptInterpreter.name, JavaScriptInterpreter, interpreterNodeMetadata('javascript'));
 * ```
 */
export function createInterpreterNodeClass(btree: BtreeModule, engine: InterpreterEngine, options: InterpreterNodeOptions): InterpreterNodeClass {
  const { tenantId } = options;
  const { type: typeName, defaultOutputKey, limits: baseLimits } = INTERPRETER_NODES[engine.language];
  const limits = resolveInterpreterLimits(options.limits, baseLimits);
  const logger = options.logger ?? consoleLogger;
  const logs = options.logForwarder ?? new GuestLogForwarder(interpreterSink(logger));
  const Base = btree.ActionNode as unknown as abstract new (config: HostNodeConfiguration) => ActionNodeInternals;
  const SUCCESS = btree.NodeStatus.SUCCESS;
  const FAILURE = btree.NodeStatus.FAILURE;

  class InterpreterNode extends Base {
    readonly #props: InterpreterProps;

    constructor(config: HostNodeConfiguration) {
      super(config);
      const checked = checkInterpreterProps(config, { defaultOutputKey, limits });
      if (!checked.ok) {
        throw new btree.ConfigurationError(
          `Invalid configuration for ${typeName}:${String(config.id)}:\n${checked.problems.map((p) => `  - ${p}`).join('\n')}`,
          'fix the props listed above; see docs/interpreters.md for the props of interpreter nodes',
        );
      }
      this.#props = checked.props;
    }

    protected async executeTick(ctx: HostTickContext): Promise<NodeStatusValue> {
      const props = this.#props;
      const fail = (message: string, line?: number): NodeStatusValue => {
        this._lastError = `${typeName} failed: ${message}${line !== undefined ? ` (line ${line})` : ''}`;
        return FAILURE;
      };

      const collected = collectScriptInputs(ctx.blackboard, props.inputs, limits);
      if (!collected.ok) return fail(collected.message);

      let outcome;
      try {
        outcome = await engine.run({
          script: props.script,
          inputs: collected.inputs,
          timeoutMs: props.timeoutMs,
          memoryLimitBytes: props.memoryLimitBytes,
          maxResultBytes: limits.maxResultBytes,
          maxResultDepth: limits.maxDepth,
          maxOutputLines: limits.maxOutputLines,
          maxOutputBytes: limits.maxOutputBytes,
          ...(tenantId !== undefined ? { tenantId } : {}),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
      } catch (e) {
        return fail(e instanceof Error ? e.message : String(e));
      }

      const prefix = `[${typeName}:${this.name}]`;
      const tags = { node: typeName, nodeId: this.id, ...(tenantId !== undefined ? { tenantId } : {}) };
      logs.forward(tags, outcome.output.map((message) => ({ level: 'info', message })), { perSecond: limits.logRatePerSecond, prefix });
      if (outcome.truncatedOutput) {
        logger.warn(escapeLogLine(`${prefix} script output truncated at ${limits.maxOutputLines} lines / ${limits.maxOutputBytes} characters`), tags);
      }

      if (!outcome.ok) return fail(outcome.error.message, outcome.error.line);
      // The engine already checked the result; check again so a faulty engine cannot write an unsafe value.
      const safe = toJsonSafe(outcome.value, { root: 'result', maxDepth: limits.maxDepth, maxBytes: limits.maxResultBytes });
      if (!safe.ok) return fail(safe.message);
      ctx.blackboard.set(props.outputKey, safe.value);
      return SUCCESS;
    }
  }

  Object.defineProperty(InterpreterNode, 'name', { value: typeName });
  return InterpreterNode as unknown as InterpreterNodeClass;
}
