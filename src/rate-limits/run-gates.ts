/**
 * The calls each in-process run path makes into the execution limits: a custom node's tick (a
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
 * The permit of one tick of a custom node under `limits` (none: {@link NO_PERMIT}). Throws, or
 * rejects with, the {@link RateLimitedError} of a refusal; turn it into the tick's outcome with
 * {@link refusedTick}. The caller releases the permit when the tick settles, in a `finally` of its
 * own async function (the binding's node class does): a wrapper around the tick would add a promise
 * layer to every tick.
 */
export function admitNodeTick(limits: ExecutionLimits | undefined, tenantId: string, node: string, signal: AbortSignal | undefined): RunPermit | Promise<RunPermit> {
  return limits === undefined ? NO_PERMIT : limits.admit(tenantId, 'node', node, signal);
}

/**
 * The outcome of a tick refused by a rate limit: FAILURE, no writes, and as its `error` the
 * RateLimitedError's message, as other host-side refusals of a tick are, e.g. `RateLimitedError: run
 * refused by a rate limit [tenant=acme, node=SendSlackMessage, limit=runsPerSecond, scope=tenant]:
 * over 5 runs per second (burst 5); retry after 200 ms. HINT: …`. Any other error is thrown again.
 */
export function refusedTick(error: unknown): TickOutcome {
  if (error instanceof RateLimitedError) return { status: 'FAILURE', writes: {}, deletes: [], logs: [], error: `${error.name}: ${error.message}` };
  throw error;
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
