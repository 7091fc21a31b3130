/**
 * Reads a workflow history's activity runs the same way in both activity modes, so that one test
 * asserts one behaviour whichever `activityMode` ran it: a normal activity is a scheduled event and
 * its started / completed / failed / cancelled / timed-out events; a local activity is one marker
 * (`core_local_activity`) recorded in the workflow task that saw it finish.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { ACTIVITY_MODES, type ActivityMode } from '../../../src/temporal/workflow.js';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type Event = NonNullable<History['events']>[number];
type Failure = NonNullable<NonNullable<Event['activityTaskFailedEventAttributes']>['failure']>;

/** Both modes, for `describe.each`. */
export const MODES: readonly ActivityMode[] = ACTIVITY_MODES;

/** One activity as the history records it (a normal activity's last attempt; a local activity's marker). */
export interface ActivityRun {
  type: string;
  mode: ActivityMode;
  /** The attempt that ended the activity (1-based). */
  attempt: number;
  result: 'completed' | 'failed' | 'cancelled' | 'timed-out' | 'pending';
  failure?: Failure;
  /** The worker that ran the attempt (normal: its started event; local: the workflow task that recorded the marker). */
  identity?: string;
  /** The failure of the attempt before (normal activities; local retries are not recorded). */
  lastFailure?: Failure;
}

const LOCAL_MARKER = 'core_local_activity';

function json(payload: { data?: Uint8Array | null } | undefined | null): Record<string, unknown> {
  return payload?.data ? (JSON.parse(Buffer.from(payload.data).toString('utf8')) as Record<string, unknown>) : {};
}

/** Every activity run of `history`, in history order, whatever its mode. */
export function activityRuns(history: History): ActivityRun[] {
  const runs: ActivityRun[] = [];
  const byScheduled = new Map<string, ActivityRun>();
  let lastTaskIdentity: string | undefined;
  for (const e of history.events ?? []) {
    if (e.workflowTaskCompletedEventAttributes) lastTaskIdentity = e.workflowTaskCompletedEventAttributes.identity ?? undefined;
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const run: ActivityRun = { type: scheduled.activityType?.name ?? '', mode: 'normal', attempt: 0, result: 'pending' };
      byScheduled.set(String(e.eventId), run);
      runs.push(run);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const run = byScheduled.get(String(started.scheduledEventId))!;
      run.attempt = started.attempt ?? 1;
      if (started.identity) run.identity = started.identity;
      if (started.lastFailure) run.lastFailure = started.lastFailure;
    }
    const ended: Array<[ActivityRun['result'], { scheduledEventId?: unknown; failure?: Failure | null } | null | undefined]> = [
      ['completed', e.activityTaskCompletedEventAttributes],
      ['failed', e.activityTaskFailedEventAttributes],
      ['cancelled', e.activityTaskCanceledEventAttributes],
      ['timed-out', e.activityTaskTimedOutEventAttributes],
    ];
    for (const [result, attrs] of ended) {
      if (!attrs) continue;
      const run = byScheduled.get(String(attrs.scheduledEventId))!;
      run.result = result;
      if (attrs.failure) run.failure = attrs.failure;
    }
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === LOCAL_MARKER) {
      const data = json(marker.details?.data?.payloads?.[0]);
      const failure = marker.failure ?? undefined;
      const run: ActivityRun = {
        type: String(data.activity_type ?? ''),
        mode: 'local',
        attempt: Number(data.attempt ?? 1),
        result: failure ? (failure.canceledFailureInfo ? 'cancelled' : failure.timeoutFailureInfo ? 'timed-out' : 'failed') : 'completed',
      };
      if (failure) run.failure = failure;
      if (lastTaskIdentity) run.identity = lastTaskIdentity;
      runs.push(run);
    }
  }
  return runs;
}

/** The runs of one activity type (e.g. `btreePluginsRunNodeTick`). */
export function runsOf(history: History, type: string): ActivityRun[] {
  return activityRuns(history).filter((r) => r.type === type);
}
