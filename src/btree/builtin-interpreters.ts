/**
 * The interpreter nodes as {@link BuiltinNodeProvider}s. Their modules (QuickJS, Pyodide) are
 * imported only when first needed, so a host that does not enable them never loads them.
 *
 * @module
 */
import type { GuestLogForwarder } from '../binding-core/guest-log.js';
import type { PythonEngineOptions } from '../interpreters/python.js';
import type { QuickJsEngineOptions } from '../interpreters/javascript.js';
import type { InterpreterEngine, InterpreterLanguage, InterpreterLimits } from '../binding-core/interpreter-types.js';
import type { BtreeModule } from '../binding-core/host-btree.js';
import { INTERPRETER_NODES, resolveInterpreterLimits } from '../binding-core/interpreter-props.js';
import { DisposedError } from '../errors.js';
import type { ExecutionLimits } from '../rate-limits/execution-limits.js';
import { limitedEngine } from '../rate-limits/run-gates.js';
import type { PluginLogger } from './logger.js';
import type { BuiltinNodeProvider } from './register-nodes.js';
import type { ExecutionTelemetry } from '../telemetry/execution-telemetry.js';

/** Options of one interpreter node type. */
export interface InterpreterNodeSettings<EngineOptions = Record<string, never>> {
  /** Limits over the language's defaults (props may only lower them). */
  limits?: Partial<InterpreterLimits>;
  /** Options of the engine this host creates for the language. */
  engine?: EngineOptions;
}

/** Where an interpreter's captured output goes: the host logger, through a shared forwarder when given. */
export interface InterpreterLogging {
  logger?: PluginLogger | undefined;
  /** The host's forwarder shared with custom nodes (one per-tenant rate); see `binding-core/guest-log.ts`. */
  logForwarder?: GuestLogForwarder | undefined;
  /** The host's execution limits, checked before each script run of a tenant. */
  rateLimits?: ExecutionLimits | undefined;
  /** The host's execution telemetry: every run of the engine is reported (docs/operations.md). */
  telemetry?: ExecutionTelemetry | undefined;
}

/** A builtin provider that owns an interpreter engine (shared by every tenant of the host). */
export interface InterpreterNodeProvider extends BuiltinNodeProvider {
  readonly language: InterpreterLanguage;
  /** The limits its nodes run under: the language's defaults with the host's overrides (checked when the provider is made). */
  readonly limits: Readonly<InterpreterLimits>;
  /** The engine, created on first call. The Temporal activities run scripts with it. */
  engine(): Promise<InterpreterEngine>;
  /**
   * Creates the engine and starts what its first run would start (workers; Pyodide, its wheels and
   * its memory snapshot), so that the first tick does not pay for it.
   */
  warmUp(): Promise<void>;
}

/** An engine that can start ahead of its first run (both of ours can). */
type WarmableEngine = InterpreterEngine & { warmUp?(): Promise<void> };

function interpreterProvider(
  language: InterpreterLanguage,
  makeEngine: () => Promise<WarmableEngine>,
  limits: Partial<InterpreterLimits> | undefined,
  logging: InterpreterLogging,
): InterpreterNodeProvider {
  const { logger, logForwarder } = logging;
  const typeName = INTERPRETER_NODES[language].type;
  // Resolved once, here: a bad limit fails when the host is made, and every user of the provider sees the same limits.
  const resolved = Object.freeze(resolveInterpreterLimits(limits, INTERPRETER_NODES[language].limits));
  let raw: Promise<WarmableEngine> | undefined;
  let engine: Promise<InterpreterEngine> | undefined;
  let disposed = false;
  const getRaw = (): Promise<WarmableEngine> => {
    if (disposed) return Promise.reject(new DisposedError(`the ${typeName} engine`));
    raw ??= makeEngine();
    return raw;
  };
  const getEngine = (): Promise<InterpreterEngine> => {
    if (disposed) return Promise.reject(new DisposedError(`the ${typeName} engine`));
    engine ??= logging.telemetry ? getRaw().then((e) => logging.telemetry!.observeEngine(e)) : getRaw();
    return engine;
  };
  return {
    type: typeName,
    language,
    limits: resolved,
    engine: getEngine,
    async warmUp() {
      await (await getRaw()).warmUp?.();
    },
    async create(btree: BtreeModule, tenantId: string) {
      const [{ createInterpreterNodeClass, interpreterNodeMetadata }, e] = await Promise.all([import('../binding-core/interpreter-node.js'), getEngine()]);
      const ctor = createInterpreterNodeClass(btree, logging.rateLimits ? limitedEngine(e, logging.rateLimits, tenantId) : e, {
        tenantId,
        limits: resolved,
        ...(logger ? { logger } : {}),
        ...(logForwarder ? { logForwarder } : {}),
      });
      return { ctor, metadata: interpreterNodeMetadata(language) };
    },
    async dispose() {
      disposed = true;
      const e = raw;
      raw = undefined;
      engine = undefined;
      if (e) await (await e).dispose();
    },
  };
}

/**
 * `JavaScriptInterpreter` (QuickJS). One engine serves every tenant of the host: each run starts
 * from a pristine QuickJS runtime (restored or new), so runs never see each other.
 */
export function javascriptInterpreterProvider(settings: InterpreterNodeSettings<QuickJsEngineOptions> = {}, logging: InterpreterLogging = {}): InterpreterNodeProvider {
  return interpreterProvider(
    'javascript',
    async () => new (await import('../interpreters/javascript.js')).QuickJsEngine(settings.engine),
    settings.limits,
    logging,
  );
}

/**
 * `PythonInterpreter` (Pyodide inside isolated-vm isolates). One engine per host; it keeps warm
 * interpreters per tenant, never shared across tenants.
 */
export function pythonInterpreterProvider(settings: InterpreterNodeSettings<PythonEngineOptions> = {}, logging: InterpreterLogging = {}): InterpreterNodeProvider {
  return interpreterProvider(
    'python',
    async () => new (await import('../interpreters/python.js')).PythonEngine(settings.engine),
    settings.limits,
    logging,
  );
}
