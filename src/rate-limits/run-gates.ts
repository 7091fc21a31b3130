/**
 * The one call each in-process run path makes into the execution limits: a custom node's tick (a
 * refused run becomes a FAILURE outcome whose error is the {@link RateLimitedError}'s message, as
 * other host-side refusals of a tick are) and an interpreter engine (a refused run throws the
 * error, which the interpreter node turns into FAILURE with that message in `lastError`).
 *
 * @module
 */
import type { InterpreterEngine, ScriptOutcome, ScriptRequest } from '../binding-core/interpreter-types.js';
import type { TickOutcome } from '../binding-core/types.js';
import { RateLimitedError } from '../errors.js';
import { NO_PERMIT, type ExecutionLimits, type RunKind, type RunPermit } from './execution-limits.js';

/** What admits runs: an {@link ExecutionLimits} (or anything with its `admit`). */
export type RunAdmission = Pick<ExecutionLimits, 'admit'>;

/**
 * Runs `run` under the limits of one run of `tenantId`'s `name`, releasing its permit when it
 * settles. Throws what `admit` throws.
 */
export async function withRunPermit<T>(limits: RunAdmission, tenantId: string, kind: RunKind, name: string, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
  const admitted = limits.admit(tenantId, kind, name, signal);
  const permit: RunPermit = admitted instanceof Promise ? await admitted : admitted;
  try {
    return await run();
  } finally {
    permit.release();
  }
}

/**
 * A custom node's tick under the limits: a refused run is a FAILURE outcome (no writes) whose
 * `error` is the RateLimitedError's message, e.g. `RateLimitedError: run refused by a rate limit
 * [tenant=acme, node=SendSlackMessage, limit=runsPerSecond, scope=tenant]: over 5 runs per second
 * (burst 5); retry after 200 ms. HINT: …`. Written without async layers: it wraps every tick.
 */
export function limitedTick(limits: ExecutionLimits | undefined, tenantId: string, node: string, signal: AbortSignal | undefined, run: () => Promise<TickOutcome>): Promise<TickOutcome> {
  if (limits === undefined) return run();
  let admitted: RunPermit | Promise<RunPermit>;
  try {
    admitted = limits.admit(tenantId, 'node', node, signal);
  } catch (error) {
    return refusedTick(error);
  }
  if (admitted instanceof Promise) return admitted.then((permit) => holding(permit, run), refusedTick);
  return holding(admitted, run);
}

/** Runs `run`, then releases `permit` however it ends. */
function holding<T>(permit: RunPermit, run: () => Promise<T>): Promise<T> {
  if (permit === NO_PERMIT) return run();
  let running: Promise<T>;
  try {
    running = run();
  } catch (error) {
    permit.release();
    return Promise.reject(error);
  }
  return running.then(
    (value) => {
      permit.release();
      return value;
    },
    (error: unknown) => {
      permit.release();
      throw error;
    },
  );
}

function refusedTick(error: unknown): Promise<TickOutcome> {
  if (error instanceof RateLimitedError) return Promise.resolve({ status: 'FAILURE', writes: {}, deletes: [], logs: [], error: `${error.name}: ${error.message}` });
  return Promise.reject(error);
}

/** An interpreter engine whose runs for `tenantId` are checked against the limits first. */
export function limitedEngine(engine: InterpreterEngine, limits: ExecutionLimits, tenantId: string): InterpreterEngine {
  return {
    language: engine.language,
    run: (request: ScriptRequest): Promise<ScriptOutcome> => withRunPermit(limits, tenantId, 'interpreter', engine.language, request.signal, () => engine.run(request)),
    // The provider owns the shared engine: disposing this view of it leaves the engine alone.
    dispose: async () => {},
  };
}
