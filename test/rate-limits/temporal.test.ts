/**
 * Rate limits under Temporal, on the real dev server with an in-process worker and a real
 * PluginHost: a refused tick or script fails its activity as retryable with Temporal's next retry
 * set to `retryAfterMs` (the activity never sleeps), the retry is admitted and the workflow
 * completes; every activity the workflow entry schedules carries the tenant as its fairness key.
 * In both activity modes: a local activity's retry honours `nextRetryDelay` too (inside the worker,
 * as the delay is under `localRetryThreshold`).
 */
import { readFileSync } from 'node:fs';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BtreeModule } from '../../src/binding-core/host-btree.js';
import { PluginHost } from '../../src/plugin-host.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { createPluginActivities } from '../../src/temporal/activities.js';
import { testHost } from '../setup/btree-module.js';
import type { testTree } from '../temporal/fixtures/workflows.js';
import { MODES, runsOf } from '../temporal/helpers/history.js';
import { temporalHarness, workflowId, type TemporalHarness } from '../temporal/helpers/temporal.js';

const COUNT_RUNS = readFileSync(new URL('../fixtures/nodes/count-runs.ts', import.meta.url), 'utf8');
const taskQueue = `rate-limits-${Date.now()}`;

let h: TemporalHarness;
let host: PluginHost;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  host = new PluginHost({
    btree: testHost as unknown as BtreeModule,
    storage: new MemoryStorage(),
    interpreters: { javascript: true },
    // One run per second for the whole tenant: each tick after the first is refused once.
    tenants: { acme: { rateLimits: { runsPerSecond: 1, burst: 1 } } },
  });
  await host.registry.publish('acme', { name: 'CountRuns', version: '1.0.0', source: COUNT_RUNS, author: 'ana' });
  await host.registry.approve('acme', 'CountRuns', '1.0.0', { by: 'reviewer' });
  await host.registry.activate('acme', 'CountRuns', '1.0.0', { by: 'ana' });
  h = await temporalHarness();
  worker = await h.worker({ taskQueue, activities: createPluginActivities(host) });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await h?.close();
  await host?.dispose();
});

const YAML = `type: Sequence
id: seq
children:
  - type: CountRuns
    id: first
  - type: CountRuns
    id: second
  - type: JavaScriptInterpreter
    id: script
    props: { outputKey: doubled, inputs: [runs], script: "result = runs * 2" }
`;

// Retries 10 ms apart unless the failure's nextRetryDelay says otherwise: a retry that ignored
// retryAfterMs would be refused again, three times, and fail the tree.
const FAST_RETRY = { retry: { initialInterval: '10ms', backoffCoefficient: 1 } };

describe.each(MODES)('rate limits under Temporal (%s activities)', (mode) => {
  it('a rate-limited tick and script are retried after retryAfterMs (not slept on in the activity) and the workflow completes', async () => {
    // A fresh second for the tenant's bucket (the other mode's run may just have used it).
    await new Promise((r) => setTimeout(r, 1_100));
    const handle = await h.client.workflow.start<typeof testTree>('testTree', {
      taskQueue,
      workflowId: workflowId(`rate-limited-${mode}`),
      args: [{ tenantId: 'acme', yaml: YAML, options: { activityMode: mode, activityOptions: FAST_RETRY, scriptActivityOptions: FAST_RETRY } }],
      workflowExecutionTimeout: '60s',
    });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'SUCCESS', output: { runs: 2, doubled: 4 } });

    const history = await handle.fetchHistory();
    // The first tick ran at once; the second tick and the script each were refused once and their second attempt ran.
    expect(runsOf(history, 'btreePluginsRunNodeTick').map((t) => [t.mode, t.attempt, t.result])).toEqual([
      [mode, 1, 'completed'],
      [mode, 2, 'completed'],
    ]);
    expect(runsOf(history, 'btreePluginsRunJavaScript').map((t) => [t.mode, t.attempt, t.result])).toEqual([[mode, 2, 'completed']]);
    const { events } = history;
    const scheduled = new Map<string, { type: string; fairnessKey: string | null | undefined }>();
    const started: Array<{ type: string; attempt: number; failure: { type: string; message: string; nextRetryDelayMs: number; details: unknown } | undefined }> = [];
    for (const [i, e] of (events ?? []).entries()) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId ?? i), { type: s.activityType?.name ?? '', fairnessKey: s.priority?.fairnessKey });
      const st = e.activityTaskStartedEventAttributes;
      if (st) {
        const f = st.lastFailure;
        const delay = f?.applicationFailureInfo?.nextRetryDelay;
        started.push({
          type: scheduled.get(String(st.scheduledEventId))?.type ?? '',
          attempt: st.attempt ?? 0,
          failure: f
            ? {
                type: f.applicationFailureInfo?.type ?? '',
                message: f.message ?? '',
                nextRetryDelayMs: Number(delay?.seconds ?? 0) * 1000 + Math.round((delay?.nanos ?? 0) / 1e6),
                details: f.applicationFailureInfo?.details,
              }
            : undefined,
        });
      }
    }
    // The tenant is the fairness key of every activity the workflow entry scheduled (resolve and usage;
    // ticks and script too when they are normal activities — local ones are never queued).
    expect([...scheduled.values()].length).toBeGreaterThanOrEqual(mode === 'normal' ? 4 : 2);
    for (const s of scheduled.values()) expect(s).toMatchObject({ fairnessKey: 'acme' });
    // A local activity's failed attempts retried inside the worker leave no trace in the history:
    // the rest reads what a normal activity's attempts record.
    if (mode === 'local') return;

    // The refused attempts failed as RateLimitedError, with Temporal's next retry set to the limiter's wait.
    const ticks = started.filter((s) => s.type === 'btreePluginsRunNodeTick');
    const scripts = started.filter((s) => s.type === 'btreePluginsRunJavaScript');
    expect(ticks.map((t) => t.attempt)).toEqual([1, 2]);
    expect(scripts.map((t) => t.attempt)).toEqual([2]);
    for (const retried of [ticks[1]!, scripts[0]!]) {
      expect(retried.failure).toMatchObject({ type: 'RateLimitedError' });
      expect(retried.failure!.message).toMatch(/^run refused by a rate limit \[tenant=acme, node=(CountRuns|JavaScriptInterpreter), limit=runsPerSecond, scope=tenant\]: over 1 runs per second \(burst 1\); retry after \d+ ms/);
      const wait = Number(/retry after (\d+) ms/.exec(retried.failure!.message)![1]);
      expect(retried.failure!.nextRetryDelayMs).toBe(wait);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(1000);
    }
  }, 60_000);
});
