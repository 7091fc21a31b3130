/**
 * The playground routes, as a table like the upload API's (routes.ts), mounted only when the
 * plugin's host is a `PluginHost` (a bare registry runs nothing). They run what a tree would run,
 * through the code a tree runs:
 *
 * - `POST /playground/scripts`: the interpreter node's rules (`checkInterpreterProps` for the
 *   script, `collectScriptInputs` for the variables, the result check) with the limits the host set
 *   for that language, on the host's engine for the caller's tenant.
 * - `POST /playground/nodes`: the registry's resolve (a draft or rejected version never runs), the
 *   binding's props check (`PropsValidatorCache.nodeProps`) and one tick through
 *   `tickWithBlackboard` (the blackboard copy under the tenant's limit, the write checks) on the
 *   host's runner.
 *
 * A run stops when the client goes away (the script is aborted, the tick's signal fires).
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tickWithBlackboard } from '../binding-core/blackboard.js';
import { collectScriptInputs } from '../binding-core/interpreter-node.js';
import { checkInterpreterProps, INTERPRETER_NODES } from '../binding-core/interpreter-props.js';
import type { InterpreterLanguage } from '../binding-core/interpreter-types.js';
import { toJsonSafe } from '../binding-core/json-copy.js';
import { PropsValidatorCache } from '../btree/props-validator.js';
import { InvalidInputError } from '../errors.js';
import { assertNodeName, assertVersion } from '../registry/ids.js';
import type { TickUsage } from '../sandbox/types.js';
import { ApiError, redactHostPaths } from './api-error.js';
import { SampleBlackboard } from './playground-blackboard.js';
import * as schemas from './playground-schemas.js';
import type { ApiPrincipal } from './principal.js';
import type { ApiRoute, PlaygroundHost, RouteContext } from './routes.js';

const LANGUAGE_NAMES: Record<InterpreterLanguage, string> = { javascript: 'JavaScript', python: 'Python' };

/**
 * Validators of stored props schemas, shared by every mount of the process: keyed by tenant,
 * version and bundle sha256, so an entry only ever describes one immutable schema.
 */
const validators = new PropsValidatorCache({ max: 500 });

type Handler = (host: PlaygroundHost, who: ApiPrincipal, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

function route(url: string, schema: Record<string, unknown>, handler: Handler): ApiRoute {
  // The plugin mounts these routes only when `ctx.playground` is set.
  return { method: 'POST', url, permission: 'playground', schema, kind: 'playground', handler: (ctx: RouteContext, who, request, reply) => handler(ctx.playground!, who, request, reply) };
}

/** A signal that fires when the client closes the connection before the answer was sent. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client closed the connection'));
  });
  return controller.signal;
}

function disabled(language: InterpreterLanguage): ApiError {
  return new ApiError(409, 'INTERPRETER_DISABLED', 'interpreter disabled', `this server runs no ${LANGUAGE_NAMES[language]} scripts: its PluginHost did not enable the ${language} interpreter`, {
    hint: `use a language GET <prefix>/session lists under \`interpreters\`; the operator enables this one with \`new PluginHost({ interpreters: { ${language}: true } })\``,
  });
}

/** Milliseconds to one decimal. */
function millis(ms: number): number {
  return Math.round(ms * 10) / 10;
}

async function runScript(host: PlaygroundHost, who: ApiPrincipal, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = request.body as { language: InterpreterLanguage; script: string; blackboard?: Record<string, unknown> };
  const limits = host.enabledInterpreters()[body.language];
  if (limits === undefined) throw disabled(body.language);
  const node = INTERPRETER_NODES[body.language];

  // The script as the interpreter node's `script` prop: the same checks and the same time and memory defaults.
  const checked = checkInterpreterProps({ script: body.script }, { defaultOutputKey: node.defaultOutputKey, limits });
  if (!checked.ok) throw new InvalidInputError('script refused', checked.problems.join('; '), { hint: 'send a non-empty script within the interpreter\'s limits' });
  const sample = new SampleBlackboard(body.blackboard ?? {});
  const collected = collectScriptInputs(sample, undefined, limits);
  if (!collected.ok) {
    throw new InvalidInputError('sample blackboard refused', collected.message.split(' HINT: ')[0]!, { hint: 'send a smaller sample blackboard: only the values the script reads' });
  }
  const engine = await host.interpreterEngine(body.language);
  if (engine === undefined) throw disabled(body.language);

  const started = performance.now();
  const outcome = await engine.run({
    script: checked.props.script,
    inputs: collected.inputs,
    timeoutMs: checked.props.timeoutMs,
    memoryLimitBytes: checked.props.memoryLimitBytes,
    maxResultBytes: limits.maxResultBytes,
    maxResultDepth: limits.maxDepth,
    maxOutputLines: limits.maxOutputLines,
    maxOutputBytes: limits.maxOutputBytes,
    tenantId: who.tenantId,
    signal: clientGone(reply),
  });
  const durationMs = millis(performance.now() - started);

  let answer: Record<string, unknown>;
  if (outcome.ok) {
    // As the node does: the engine checked the result; check again so a faulty engine cannot answer an unsafe value.
    const safe = toJsonSafe(outcome.value, { root: 'result', maxDepth: limits.maxDepth, maxBytes: limits.maxResultBytes });
    answer = safe.ok ? { ok: true, value: safe.value } : { ok: false, error: { kind: 'result', message: safe.message } };
  } else {
    const { kind, message, line } = outcome.error;
    answer = { ok: false, error: line === undefined ? { kind, message: redactHostPaths(message) } : { kind, message: redactHostPaths(message), line } };
  }
  answer.output = outcome.output;
  if (outcome.truncatedOutput === true) answer.truncatedOutput = true;
  const ignored = sample.keys().filter((key) => !Object.hasOwn(collected.inputs, key));
  if (ignored.length > 0) answer.ignoredKeys = ignored;
  answer.durationMs = durationMs;
  return answer;
}

async function runNode(host: PlaygroundHost, who: ApiPrincipal, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = request.body as { name: string; version?: string; props?: Record<string, unknown>; blackboard?: Record<string, unknown> };
  const tenantId = who.tenantId;
  // Checked apart: `name` must not smuggle a version or range in (`Greeter@^1`), nor `version` a range.
  assertNodeName(body.name);
  if (body.version !== undefined) assertVersion(body.version);
  const catalog = host.nodeCatalog();
  // The registry's rules: no version → the active one; a draft or rejected version → 409; another tenant's node → 404.
  const node = await catalog.resolve(tenantId, body.version === undefined ? body.name : `${body.name}@${body.version}`);
  const label = `${node.name}@${node.version}`;

  // The props as the binding checks them when a tree is built: JSON data, then the version's props schema.
  const checked = validators.nodeProps(`${tenantId}/${label}#${node.sha256}`, body.props ?? {}, { propsSchema: node.metadata.propsSchema });
  if (!checked.ok) {
    throw new ApiError(400, 'INVALID_PROPS', 'invalid props', `the props do not match the props schema of ${label}: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, {
      hint: `fix the props listed; the propsSchema of GET <prefix>/custom-nodes/${label} describes them`,
    });
  }

  const [runner, bundle] = await Promise.all([host.nodeRunner(), catalog.loadBundle(tenantId, node.name, node.version)]);
  const sample = new SampleBlackboard(body.blackboard ?? {});
  const signal = clientGone(reply);
  let usage: TickUsage | undefined;
  const result = await tickWithBlackboard(sample, { label, maxBytes: host.limitsFor(tenantId).blackboardInBytes }, (copy) =>
    runner.tick(bundle, { props: checked.props, blackboard: copy.value, blackboardJson: copy.json, signal, onUsage: (u) => (usage = u) }),
  );

  const answer: Record<string, unknown> = { name: node.name, version: node.version, status: result.status, ...sample.changes() };
  if (result.error !== undefined) answer.error = redactHostPaths(result.error);
  if (result.outcome?.limit !== undefined) answer.limit = result.outcome.limit;
  answer.logs = (result.outcome?.logs ?? []).map(({ level, message }) => ({ level, message }));
  // No usage when the tick never ran (the blackboard was over the tenant's limit).
  answer.usage = { cpuMs: usage?.cpuMs ?? 0, wallMs: usage?.wallMs ?? 0, ...(usage?.heapBytes !== undefined ? { heapBytes: usage.heapBytes } : {}) };
  if (node.warnings?.length) answer.warnings = node.warnings;
  return answer;
}

/** Every playground route, in the order the OpenAPI document lists them. */
export const PLAYGROUND_ROUTES: readonly ApiRoute[] = [route('/playground/scripts', schemas.runScriptSchema, runScript), route('/playground/nodes', schemas.runNodeSchema, runNode)];
