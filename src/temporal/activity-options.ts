/**
 * Activity options of the workflow's proxy nodes: the defaults, how a host's overrides merge over
 * them, the activity mode (local or normal) and its checks, and reading a Temporal duration. Pure:
 * part of the workflow entry.
 *
 * @module
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  patched,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import { InvalidInputError } from '../errors.js';
import { NON_RETRYABLE_ERROR_TYPES, type PluginActivities } from './types.js';

/**
 * How tenant ticks and script runs are scheduled.
 *
 * - `'local'`: a Temporal **local activity**, run by the worker that runs the workflow task, with no
 *   task-queue dispatch and no server round trip per tick; its result is a marker in the history.
 *   No heartbeats, no `taskQueue` routing; a worker crash mid-tick re-runs the workflow task (and
 *   the tick) on another worker after the workflow task timeout.
 * - `'normal'`: a regular activity, dispatched through the task queue: heartbeats, routing to
 *   another task queue, each attempt in the history. Pick it for long runs.
 *
 * docs/temporal.md, "Local or normal activities", gives the measured costs of each.
 */
export type ActivityMode = 'local' | 'normal';

/** The modes {@link ActivityMode} accepts. */
export const ACTIVITY_MODES: readonly ActivityMode[] = ['local', 'normal'];

/** Default {@link ActivityMode} of ticks and scripts: local (bench/temporal.ts, docs/temporal.md). */
export const DEFAULT_ACTIVITY_MODE: ActivityMode = 'local';

/**
 * The patch (Temporal's `patched()`) that made local the default. A run started by an older version
 * of this library scheduled normal activities; replaying its history, `patched()` is false and the
 * default stays normal, so upgrading never breaks a run in flight. An explicit `activityMode` is the
 * host's own choice and is used as given.
 */
export const LOCAL_DEFAULT_PATCH = 'btree-plugins-local-activities';

/**
 * Options of the tick and script activities: Temporal's `ActivityOptions`, plus
 * `localRetryThreshold` for local mode (a retry backoff longer than it is a durable timer in the
 * workflow instead of a wait inside the worker; Temporal's default is 1 minute).
 *
 * In local mode `taskQueue`, `heartbeatTimeout` and `priority` have no meaning (the tick runs on the
 * workflow's own worker and cannot heartbeat) and are refused; in normal mode `localRetryThreshold`
 * is refused.
 */
export type TickActivityOptions = ActivityOptions & Pick<LocalActivityOptions, 'localRetryThreshold'>;

/** Defaults of the tick and script activities (docs/temporal.md). */
export const DEFAULT_TICK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
};

/** Defaults of the resolve and usage activities. */
export const DEFAULT_RESOLVE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
};

/** A host's options over the defaults; `retry` merges field by field. */
export function mergeActivityOptions<T extends ActivityOptions>(defaults: T, override: T | undefined): T {
  if (!override) return defaults;
  return { ...defaults, ...override, retry: { ...defaults.retry, ...override.retry } };
}

/** Options fields that only normal activities have: refused in local mode (see {@link TickActivityOptions}). */
const NORMAL_ONLY: ReadonlyArray<{ key: keyof ActivityOptions; why: string }> = [
  { key: 'taskQueue', why: 'a local activity runs on the worker of the workflow task, so ticks cannot be routed to another task queue' },
  { key: 'heartbeatTimeout', why: 'a local activity cannot heartbeat; its attempt is bounded by startToCloseTimeout and by the workflow task timeout' },
  { key: 'priority', why: 'a local activity is never dispatched through a task queue, so priority and fairness keys do not apply' },
];

/** A workflow-side option error: non-retryable, so the run fails instead of its workflow task retrying forever. */
function invalidOption(field: string, detail: string, hint: string): ApplicationFailure {
  const e = new InvalidInputError(`invalid option ${field} of registerTenantNodes`, detail, { hint });
  return ApplicationFailure.create({ message: e.message, type: e.name, nonRetryable: true, cause: e });
}

/**
 * Checks an {@link ActivityMode} option (`undefined` → `fallback()`).
 *
 * @throws a non-retryable `ApplicationFailure` of type `InvalidInputError` naming the bad value.
 */
export function readActivityMode(value: unknown, field: string, fallback: () => ActivityMode): ActivityMode {
  if (value === undefined) return fallback();
  if (typeof value === 'string' && (ACTIVITY_MODES as readonly string[]).includes(value)) return value as ActivityMode;
  throw invalidOption(field, `${JSON.stringify(value) ?? String(value)} is not an activity mode`, `use ${ACTIVITY_MODES.map((m) => `'${m}'`).join(' or ')}`);
}

/**
 * The default mode of a run: {@link DEFAULT_ACTIVITY_MODE}, except when replaying a history
 * recorded before local activities were the default (see {@link LOCAL_DEFAULT_PATCH}). Call it once
 * per run, from workflow code.
 */
export function defaultActivityMode(): ActivityMode {
  return patched(LOCAL_DEFAULT_PATCH) ? DEFAULT_ACTIVITY_MODE : 'normal';
}

/**
 * The host's options for `mode`, checked: fields the mode does not have are refused with a clear
 * error (never silently dropped: a `taskQueue` ignored would run tenant code on other workers than
 * the host meant), and durations must be readable.
 *
 * @throws a non-retryable `ApplicationFailure` of type `InvalidInputError`.
 */
export function checkTickActivityOptions(options: TickActivityOptions | undefined, mode: ActivityMode, field: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw invalidOption(field, 'must be an object of activity options', 'pass e.g. { startToCloseTimeout: "30s" }');
  if (mode === 'local') {
    for (const { key, why } of NORMAL_ONLY) {
      if (options[key] !== undefined) throw invalidOption(`${field}.${key}`, `it has no effect with activityMode 'local': ${why}`, `remove ${key}, or set activityMode: 'normal'`);
    }
  } else if (options.localRetryThreshold !== undefined) {
    throw invalidOption(`${field}.localRetryThreshold`, "it applies to local activities only", "remove it, or set activityMode: 'local'");
  }
  for (const key of ['startToCloseTimeout', 'scheduleToCloseTimeout', 'scheduleToStartTimeout', 'heartbeatTimeout', 'localRetryThreshold'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    const ms = durationMs(value);
    if (ms === undefined || !(ms > 0) || !Number.isFinite(ms)) {
      throw invalidOption(`${field}.${key}`, `${JSON.stringify(value) ?? String(value)} is not a positive duration`, "use milliseconds (5000) or a duration string ('30s', '1 minute')");
    }
  }
}

/**
 * The activity functions for `mode`: `proxyLocalActivities` with the local subset of `options`, or
 * `proxyActivities`. `options` must have passed {@link checkTickActivityOptions}.
 */
export function proxyTickActivities(mode: ActivityMode, options: TickActivityOptions): PluginActivities {
  if (mode === 'normal') {
    const { localRetryThreshold: _local, ...normal } = options;
    return proxyActivities<PluginActivities>(normal);
  }
  return proxyLocalActivities<PluginActivities>(toLocalActivityOptions(options));
}

/** The fields of `options` a local activity has (normal-only fields were refused by the check, or are our own defaults). */
function toLocalActivityOptions(options: TickActivityOptions): LocalActivityOptions {
  const local: LocalActivityOptions = {};
  if (options.retry !== undefined) local.retry = options.retry;
  if (options.startToCloseTimeout !== undefined) local.startToCloseTimeout = options.startToCloseTimeout;
  if (options.scheduleToCloseTimeout !== undefined) local.scheduleToCloseTimeout = options.scheduleToCloseTimeout;
  if (options.scheduleToStartTimeout !== undefined) local.scheduleToStartTimeout = options.scheduleToStartTimeout;
  if (options.localRetryThreshold !== undefined) local.localRetryThreshold = options.localRetryThreshold;
  if (options.cancellationType !== undefined) local.cancellationType = options.cancellationType;
  if (options.summary !== undefined) local.summary = options.summary;
  return local;
}

const UNIT_MS: Record<string, number> = {
  ms: 1, msec: 1, msecs: 1, millisecond: 1, milliseconds: 1,
  s: 1_000, sec: 1_000, secs: 1_000, second: 1_000, seconds: 1_000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** Milliseconds of a Temporal duration (`5000`, `'30s'`, `'1 minute'`), or `undefined` if unreadable. */
export function durationMs(duration: ActivityOptions['startToCloseTimeout']): number | undefined {
  if (typeof duration === 'number') return duration;
  if (typeof duration !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(duration);
  const unit = m ? UNIT_MS[(m[2] || 'ms').toLowerCase()] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : undefined;
}

/** A message for `lastError` from whatever an activity call threw (the real reason, not "Activity task failed"). */
export function activityFailureMessage(error: unknown): string {
  let e: unknown = error;
  // ActivityFailure wraps the real reason (ApplicationFailure, TimeoutFailure, …) in `cause`.
  while (e instanceof Error && e.cause instanceof Error && e.name === 'ActivityFailure') e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
