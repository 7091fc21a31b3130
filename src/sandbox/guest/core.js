// @ts-check
/**
 * The internal runtime module `wf:internal` (runs INSIDE the tenant's isolate, never in the host).
 *
 * It holds the btree node base classes, the blackboard copy, the capability queue, the guest
 * console and the entry points the host drives (`configure`, `startTick`, `poll`, `resume`,
 * `abandon`, `inspect`). Only the runtime's own modules may import it; tenant bundles get the
 * public modules (`btree.js`, `temporal.js`, `sdk.js`).
 *
 * Protocol: every host call passes and returns strings or arrays of strings (copied), so no
 * host object, function or Reference ever reaches guest code. Capability calls are queued here
 * and reported by `poll`; the host performs them and hands results back through `resume`.
 *
 * The host sends this file to the isolate as it is (src/guest-source.ts); it ends by freezing
 * the realm (`wf:lockdown`, lockdown.js).
 */
import { lockdown } from 'wf:lockdown';

const G = globalThis;
const stringify = JSON.stringify, parse = JSON.parse;
const freeze = Object.freeze, defineProperty = Object.defineProperty;

// isolated-vm ends every host call by copying the FIRST promise rejection of that call that is
// still unhandled, reading its message and stack (getters, toString) with no timeout and copying
// strings of any size: a tenant's Promise.reject({ get stack() { for (;;) {} } }) would block the
// host thread for ever. So every entry point that runs tenant code first rejects this private
// promise (kept alive here, never handled): isolated-vm reports it instead, and tenant
// rejections are never read. The host expects the marker (tenant-sandbox.ts).
const EPILOGUE_MARKER = 'wf:epilogue';
const PromiseReject = Promise.reject;
let epilogue = null;
function armEpilogue() { epilogue = PromiseReject.call(Promise, EPILOGUE_MARKER); }

let limits = { writesOutBytes: 1048576, logLines: 100, logBytes: 65536, logLineBytes: 4096, capabilityArgBytes: 262144, capabilityCallsPerTick: 64, concurrentCapabilityCalls: 8, errorBytes: 8192 };
/**
 * One tick in flight, from startTick until poll reports its end.
 * @typedef {object} TickState
 * @property {number} id
 * @property {Array<[number, string, string]>} pending capability calls not reported yet: [call id, name, arguments JSON]
 * @property {Map<number, [(value: unknown) => void, (error: Error) => void]> | null} waiters made on the first capability call
 * @property {number} nextCallId
 * @property {number} calls
 * @property {Array<[string, string]>} logs [level, line]
 * @property {number} logLines
 * @property {number} logBytes
 * @property {[string, string?] | null} breach [limit, detail]
 * @property {string[] | null} outcome ['done', status, writes, deletes, error] or ['fail', kind, message]
 * @property {{ executeTick?: unknown, _lastError?: unknown } | null} node
 * @property {Blackboard | null} bb
 * @property {{ texts: Map<string, string> | null, data?: unknown, users: number } | null} board the blackboard it reads
 */
/** @type {Map<number, TickState>} */
const ticks = new Map();
let current = null;

export const NodeStatus = freeze({ SUCCESS: 'SUCCESS', FAILURE: 'FAILURE', RUNNING: 'RUNNING', IDLE: 'IDLE' });

function clip(s, max) { return s.length > max ? s.slice(0, max) + '…(' + s.length + ' chars)' : s; }

function describe(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return String(v) + 'n';
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return '[Function ' + (typeof v.name === 'string' ? v.name : '') + ']';
  if (typeof v === 'symbol') return v.toString();
  if (v instanceof Error) return safeErrorText(v);
  try { const s = stringify(v); return s === undefined ? String(v) : s; } catch (e) { try { return String(v); } catch (e2) { return '[unprintable]'; } }
}

function safeErrorText(e) {
  try {
    if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
      const stack = e.stack;
      if (typeof stack === 'string' && stack.length) return stack;
      const name = e.name, message = e.message;
      if (typeof message === 'string') return (typeof name === 'string' && name ? name : 'Error') + ': ' + message;
    }
    return 'thrown value: ' + describe(e);
  } catch (e2) { return 'thrown value could not be printed'; }
}

function errorMessage(e) {
  try {
    if (e !== null && typeof e === 'object' && typeof e.message === 'string') return e.message;
    return describe(e);
  } catch (e2) { return 'error could not be printed'; }
}

function breach(st, limit, detail) { if (!st.breach) st.breach = [limit, detail]; }

function record(level, args) {
  const st = current;
  if (!st) return;
  // Past a log limit the console throws, so that a logging loop ends instead of burning CPU.
  if (st.breach) throw new RangeError('console limit exceeded');
  let line = '';
  for (let i = 0; i < args.length; i++) line += (i ? ' ' : '') + describe(args[i]);
  line = clip(line, limits.logLineBytes);
  st.logLines++;
  st.logBytes += line.length;
  if (st.logLines > limits.logLines) { breach(st, 'logLines'); throw new RangeError('console line limit exceeded'); }
  if (st.logBytes > limits.logBytes) { breach(st, 'logBytes'); throw new RangeError('console byte limit exceeded'); }
  st.logs.push([level, line]);
}

const guestConsole = freeze({
  log(...a) { record('info', a); }, info(...a) { record('info', a); }, debug(...a) { record('debug', a); },
  trace(...a) { record('debug', a); }, warn(...a) { record('warn', a); }, error(...a) { record('error', a); },
});
defineProperty(G, 'console', { value: guestConsole, writable: false, enumerable: false, configurable: false });
// The seed's nodes write "import type { NodeStatus }" and then use NodeStatus.SUCCESS as a value;
// esbuild erases type-only imports, so a global NodeStatus keeps them running unchanged.
defineProperty(G, 'NodeStatus', { value: NodeStatus, writable: false, enumerable: false, configurable: false });

// Namespaces handed to tenant code by require() inside a bundle's factory (see bundle-factory.ts).
const MODULES = new Map();
const factories = new Map();
/** Bundles evaluated once per isolate (see instantiate), and their frozen exports. */
const reusable = new Set();
const instances = new Map();
function requireModule(specifier) {
  const m = MODULES.get(specifier);
  if (!m) throw new Error('the sandbox does not provide module ' + stringify(String(specifier)));
  return m;
}
freeze(requireModule);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

// The blackboard copy: the host's JSON texts key by key (see blackboardOf), each parsed when the
// node first reads it in this tick (so a value changed in place never outlives the tick), with
// this tick's writes and deletes kept apart so that only they travel back.
const hasOwn = Object.hasOwn;
const EMPTY_SET = freeze(new Set());
let drainBlackboard;
class Blackboard {
  #texts; #data; #values; #writes; #deletes;
  /**
   * @param {Map<string, string> | null} texts key → JSON text of its value (never changed here)
   * @param {Record<string, unknown> | null} data or, when there are no texts, the parsed values (own keys)
   */
  constructor(texts, data) {
    this.#texts = texts;
    this.#data = data !== null && typeof data === 'object' ? data : {};
    this.#values = null;
    this.#writes = new Map();
    this.#deletes = null;
  }
  #hasBase(key) { return this.#texts ? this.#texts.has(key) : hasOwn(this.#data, key); }
  #base(key) {
    if (!this.#texts) return hasOwn(this.#data, key) ? this.#data[key] : undefined;
    const values = (this.#values ??= new Map());
    const v = values.get(key);
    if (v !== undefined || values.has(key)) return v;
    const text = this.#texts.get(key);
    if (text === undefined) return undefined;
    const parsed = parse(text);
    values.set(key, parsed);
    return parsed;
  }
  get(key) {
    key = String(key);
    if (this.#writes.has(key)) return this.#writes.get(key);
    if (this.#deletes !== null && this.#deletes.has(key)) return undefined;
    return this.#base(key);
  }
  has(key) {
    key = String(key);
    return this.#writes.has(key) || (!(this.#deletes !== null && this.#deletes.has(key)) && this.#hasBase(key));
  }
  set(key, value) { key = String(key); this.#writes.set(key, value); if (this.#deletes !== null) this.#deletes.delete(key); }
  delete(key) { key = String(key); this.#writes.delete(key); if (this.#hasBase(key)) (this.#deletes ??= new Set()).add(key); }
  keys() { return Array.from(this.#view().keys()); }
  entries() { return Array.from(this.#view().entries()); }
  toJSON() { return Object.fromEntries(this.#view()); }
  getPort(key, defaultValue) { const v = this.get(key); return v === undefined ? defaultValue : v; }
  setPort(key, value) { this.set(key, value); }
  getScopeName() { return 'root'; }
  getFullScopePath() { return 'root'; }
  #view() {
    const m = new Map();
    for (const k of this.#texts ? this.#texts.keys() : Object.keys(this.#data)) if (this.#deletes === null || !this.#deletes.has(k)) m.set(k, this.#base(k));
    for (const [k, v] of this.#writes) m.set(k, v);
    return m;
  }
  // Not a static method: the class is reachable from tenant code (ctx.blackboard.constructor).
  static { drainBlackboard = (bb) => [bb.#writes, bb.#deletes || EMPTY_SET]; }
}
freeze(Blackboard); freeze(Blackboard.prototype);

export class ConfigurationError extends Error {
  constructor(message, hint) { super(message); defineProperty(this, 'name', { value: 'ConfigurationError' }); this.hint = hint; this.isConfigurationError = true; }
}

export class BaseNode {
  constructor(config) {
    if (config === null || typeof config !== 'object') throw new TypeError('node config must be an object');
    this.id = config.id;
    this.name = config.name || config.id;
    this.type = new.target.name;
    this.config = config;
    /** @type {string} */
    this._status = NodeStatus.IDLE;
    /** @type {string | undefined} */
    this._lastError = undefined;
  }
  get lastError() { return this._lastError; }
  status() { return this._status; }
  providedPorts() { return []; }
  getInput(context, key, defaultValue) { return context.blackboard.getPort(this.config[key] || key, defaultValue); }
  setOutput(context, key, value) { context.blackboard.setPort(this.config[key] || key, value); }
  log(message, ...args) { guestConsole.log('[' + this.type + ':' + this.name + '] ' + message, ...args); }
  halt() { if (this._status === NodeStatus.RUNNING) { this.onHalt(); this._status = NodeStatus.IDLE; } }
  reset() { this._status = NodeStatus.IDLE; this._lastError = undefined; this.onReset(); }
  onHalt() {}
  onReset() {}
  clone() { return new /** @type {new (config: object) => BaseNode} */ (this.constructor)({ ...this.config }); }
  async tick(context) {
    try { const status = await /** @type {(context: unknown) => Promise<string>} */ (this.executeTick)(context); this._status = status; return status; }
    catch (e) { this._lastError = errorMessage(e); this._status = NodeStatus.FAILURE; return NodeStatus.FAILURE; }
  }
  /** @returns {Promise<string>} */
  async executeTick() { throw new Error(this.type + ' does not implement executeTick(context)'); }
}
export class ActionNode extends BaseNode {}
export class ConditionNode extends BaseNode {}

function callCapability(name, args) {
  const st = current;
  // Names travel to the host (and into breach messages): the host accepts at most 64 characters.
  if (name.length > 64) return Promise.reject(new Error('capability names are at most 64 characters (got ' + name.length + ')'));
  if (!st || st.outcome) return Promise.reject(new Error('capability ' + name + ' can only be called while a tick runs'));
  let json;
  try { json = stringify(args); } catch (e) { return Promise.reject(new TypeError('arguments of ' + name + ' are not JSON-serializable: ' + errorMessage(e))); }
  if (json.length > limits.capabilityArgBytes) { breach(st, 'capabilityArgBytes', name); return new Promise(() => {}); }
  if (++st.calls > limits.capabilityCallsPerTick) { breach(st, 'capabilityCallsPerTick', name); return new Promise(() => {}); }
  const waiters = (st.waiters ??= new Map());
  if (waiters.size >= limits.concurrentCapabilityCalls) { breach(st, 'concurrentCapabilityCalls', name); return new Promise(() => {}); }
  const id = st.nextCallId++;
  st.pending.push([id, name, json]);
  return new Promise((resolve, reject) => { waiters.set(id, [resolve, reject]); });
}

const proxyHandler = freeze({
  get(target, prop) {
    if (typeof prop !== 'string' || prop === 'then') return undefined;
    return (...args) => callCapability(prop, args);
  },
  set() { return false; }, defineProperty() { return false; }, deleteProperty() { return false; },
  setPrototypeOf() { return false; },
});

export function proxyActivities(options) {
  return new Proxy(freeze(Object.create(null)), proxyHandler);
}

function toMs(d) {
  if (typeof d === 'number' && d >= 0) return d;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(d));
  if (!m) throw new TypeError('sleep(duration): duration must be milliseconds or a string like "2s"');
  const f = { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] || 'ms'];
  return Number(m[1]) * f;
}
export function sleep(duration) { return callCapability('$sleep', [toMs(duration)]); }

/**
 * The bundle's exports. A fresh instance on every call (its module scope lives only as long as one
 * tick), unless the host found the module unable to hold state (module-reuse.ts): then it is
 * evaluated once, and everything it made is frozen — what it exports and its top-level functions
 * and classes (`module.locals`), with their prototypes and statics — so that no tick can leave
 * anything in it for another.
 */
function instantiate(sha) {
  const kept = instances.get(sha);
  if (kept) return kept;
  const factory = factories.get(sha);
  if (!factory) throw new Error('bundle ' + sha + ' is not loaded in this isolate');
  /** @type {{ exports: object, locals: unknown }} */
  const module = { exports: {}, locals: null };
  factory(requireModule, module, module.exports);
  if (reusable.has(sha)) {
    deepFreeze(module.exports);
    const locals = module.locals;
    if (Array.isArray(locals)) for (const local of locals) deepFreeze(local);
    instances.set(sha, module.exports);
  }
  return module.exports;
}

const isFrozen = Object.isFrozen, getPrototypeOf = Object.getPrototypeOf, getOwnPropertyDescriptors = Object.getOwnPropertyDescriptors, ownKeys = Reflect.ownKeys;
/** Freezes a value and everything reachable from it (own properties, accessors, prototypes) that is not frozen yet. */
function deepFreeze(v) {
  if ((typeof v !== 'object' && typeof v !== 'function') || v === null || isFrozen(v)) return;
  freeze(v);
  const ds = getOwnPropertyDescriptors(v);
  for (const k of ownKeys(ds)) {
    const d = ds[/** @type {string} */ (k)];
    if ('value' in d) deepFreeze(d.value); else { deepFreeze(d.get); deepFreeze(d.set); }
  }
  deepFreeze(getPrototypeOf(v));
}

/**
 * What the runtime reads from a tenant's node class (its default export): a BaseNode subclass,
 * possibly made by defineNode (`definition`) or carrying btree-style static metadata.
 * @typedef {{ new (config: object): TenantNode, prototype: object, name: string, definition?: any, metadata?: any, description?: unknown, ports?: unknown }} TenantNodeClass
 * @typedef {{ executeTick?: unknown, _lastError?: unknown, providedPorts(): unknown }} TenantNode
 */
/** @returns {TenantNodeClass} */
function nodeClassOf(ns) {
  let C;
  try { C = ns.default; } catch (e) { throw new TypeError('the bundle has no usable default export: ' + errorMessage(e)); }
  if (typeof C !== 'function') throw new TypeError('the bundle must export default a class that extends ActionNode or ConditionNode (got ' + typeof C + ')');
  if (!(C.prototype instanceof BaseNode)) throw new TypeError('the default export must extend ActionNode or ConditionNode from @wayfarer-ai/btree');
  return C;
}

function finish(st, status, error) {
  if (st.outcome) return;
  const open = st.waiters ? st.waiters.size : 0;
  if (open) {
    const names = st.pending.map((c) => c[1]).join(', ');
    st.logs.push(['warn', 'executeTick returned while ' + open + ' capability call(s) were still pending' + (names ? ' (not started: ' + names + ')' : '') + '; calls not started were dropped. HINT: await every capability call']);
  }
  const [writes, deletes] = drainBlackboard(st.bb || new Blackboard(null, null));
  let w = '{', n = 0;
  for (const [k, v] of writes) {
    if (FORBIDDEN_KEYS.has(k)) { st.outcome = ['fail', 'writes', 'blackboard key ' + stringify(k) + ' is reserved']; return; }
    if (typeof k !== 'string') { st.outcome = ['fail', 'writes', 'blackboard keys must be strings']; return; }
    let j;
    try { j = stringify(v); } catch (e) { st.outcome = ['fail', 'writes', 'value at blackboard key ' + clip(stringify(String(k)), 200) + ' is not JSON-serializable: ' + clip(errorMessage(e), 1000)]; return; }
    if (j === undefined) { st.outcome = ['fail', 'writes', 'value at blackboard key ' + stringify(k) + ' is not JSON-serializable (' + typeof v + ')']; return; }
    w += (n++ ? ',' : '') + stringify(k) + ':' + j;
    if (w.length > limits.writesOutBytes) { breach(st, 'writesOutBytes', String(w.length)); return; }
  }
  w += '}';
  const d = deletes.size ? stringify(Array.from(deletes)) : '[]';
  st.outcome = ['done', status, w, d, error === undefined ? '' : clip(String(error), limits.errorBytes)];
}

function settle(st, status) {
  if (st.outcome) return;
  if (status !== 'SUCCESS' && status !== 'FAILURE' && status !== 'RUNNING') {
    return finish(st, 'FAILURE', 'executeTick returned ' + clip(describe(status), 100) + ' instead of NodeStatus.SUCCESS, FAILURE or RUNNING');
  }
  let lastError;
  try { const le = st.node && st.node._lastError; if (le !== undefined && le !== null && le !== '') lastError = describe(le); } catch (e) { lastError = 'reading _lastError failed'; }
  finish(st, status, lastError);
}

function fail(st, e, prefix) { if (!st.outcome) finish(st, 'FAILURE', prefix + safeErrorText(e)); }

function enter(id) { const st = ticks.get(id); current = st || null; return st; }

export function configure(json) { limits = freeze({ ...limits, ...parse(json) }); }

let zodExports = null;
/** Evaluates the zod factory script once per isolate (see zod-bundle.ts). */
export function registerZod(factory) {
  if (zodExports) return;
  const m = { exports: {} };
  factory(m, m.exports);
  zodExports = m.exports;
}
/** @returns {{ z: typeof import('zod').z, __zodGlobals: object }} */
export function __zodExports() {
  if (!zodExports) throw new Error('zod is not loaded in this isolate');
  return zodExports;
}

export function register(sha, factory, once) {
  if (typeof factory !== 'function') throw new TypeError('factory must be a function');
  factories.set(sha, factory);
  instances.delete(sha);
  if (once === true) reusable.add(sha); else reusable.delete(sha);
}
export function unregister(sha) { factories.delete(sha); instances.delete(sha); reusable.delete(sha); }
export function __setModule(specifier, namespace) { if (!MODULES.has(specifier)) MODULES.set(specifier, freeze(namespace)); }

// The host's blackboards as this isolate holds them between ticks (host side: blackboard-sync.ts):
// slot → { texts: key → JSON text, users: ticks in flight reading these texts }.
/** @type {Map<number, { texts: Map<string, string> | null, data?: unknown, users: number }>} */
const boards = new Map();

/**
 * The texts a tick reads, from its blackboard argument: a whole JSON object (kept by no slot), or
 * `slot NUL drops NUL size NUL gone NUL changed` applied to the slot. A slot that ticks in flight
 * still read is copied before it changes: every tick sees the blackboard as it was when it started.
 * @returns {{ texts: Map<string, string> | null, data?: unknown, users: number }}
 */
function blackboardOf(arg) {
  if (arg.charCodeAt(0) === 123) return { texts: null, data: parse(arg), users: 0 };
  const at = [];
  for (let i = 0, from = 0; i < 4; i++) { const j = arg.indexOf(SEP, from); at.push(j); from = j + 1; }
  const slot = Number(arg.slice(0, at[0]));
  const drops = arg.slice(at[0] + 1, at[1]);
  if (drops) for (const d of drops.split(',')) boards.delete(Number(d));
  let board = boards.get(slot);
  const gone = parse(arg.slice(at[2] + 1, at[3]));
  const changed = parse(arg.slice(at[3] + 1));
  const keys = Object.keys(changed);
  let texts = board && board.texts;
  if (!board || !texts || (board.users > 0 && (keys.length || gone.length))) {
    texts = new Map(texts || undefined);
    board = { texts, users: 0 };
  }
  boards.set(slot, board);
  for (const k of gone) texts.delete(k);
  for (const k of keys) texts.set(k, changed[k]);
  if (texts.size !== Number(arg.slice(at[1] + 1, at[2]))) {
    boards.delete(slot);
    throw new Error('the blackboard held for slot ' + slot + ' is out of step with the host');
  }
  return board;
}

function release(st) { if (st.board) { st.board.users--; st.board = null; } }

// The blackboard comes as its own argument: the host then passes its text as is instead of
// concatenating (and so copying) it into the rest of the input on every tick.
export function startTick(sha, json, bbArg) {
  armEpilogue();
  const input = parse(json);
  const board = blackboardOf(bbArg);
  board.users++;
  /** @type {TickState} */
  const st = { id: input.t, pending: [], waiters: null, nextCallId: 1, calls: 0, logs: [], logLines: 0, logBytes: 0, breach: null, outcome: null, node: null, bb: null, board };
  ticks.set(st.id, st);
  current = st;
  try {
    const C = nodeClassOf(instantiate(sha));
    st.bb = new Blackboard(board.texts, /** @type {Record<string, unknown> | null} */ (board.data ?? null));
    st.node = new C({ id: input.id, name: input.name, ...input.props });
    const ctx = { blackboard: st.bb, timestamp: input.ts, treeRegistry: undefined, sessionId: input.sid };
    if (typeof st.node.executeTick !== 'function') throw new TypeError('the node has no executeTick(context) method');
    Promise.resolve(st.node.executeTick(ctx)).then((s) => settle(st, s), (e) => fail(st, e, ''));
  } catch (e) { fail(st, e, ''); }
}

// poll() answers with one string of NUL-separated fields (a single string is the cheapest thing to
// copy out). JSON never contains a raw NUL, so only the last field, free text, may hold one:
//   done  NUL status NUL writes NUL deletes NUL logs NUL error
//   fail  NUL kind   NUL logs   NUL message
//   breach NUL limit NUL logs   NUL detail
//   wait  NUL calls
//   gone
const SEP = String.fromCharCode(0);
export function poll(id) {
  const st = enter(id);
  if (!st) return 'gone';
  if (st.breach) { ticks.delete(id); release(st); return 'breach' + SEP + st.breach[0] + SEP + stringify(st.logs) + SEP + (st.breach[1] || ''); }
  const o = st.outcome;
  if (o) {
    ticks.delete(id);
    release(st);
    const logs = st.logs.length ? stringify(st.logs) : '[]';
    if (o[0] === 'done') return 'done' + SEP + o[1] + SEP + o[2] + SEP + o[3] + SEP + logs + SEP + o[4];
    return 'fail' + SEP + o[1] + SEP + logs + SEP + o[2];
  }
  const calls = st.pending; st.pending = [];
  return 'wait' + SEP + stringify(calls);
}

export function resume(id, json) {
  armEpilogue();
  const st = enter(id);
  if (!st) return;
  for (const [callId, ok, payload] of parse(json)) {
    const w = st.waiters && st.waiters.get(callId);
    if (!w) continue;
    /** @type {Map<number, unknown>} */ (st.waiters).delete(callId);
    if (ok) w[0](payload === '' ? undefined : parse(payload)); else w[1](new Error(payload));
  }
}

export function abandon(id) {
  const st = ticks.get(id);
  ticks.delete(id);
  if (st) release(st);
  if (current === st) current = null;
  return st ? stringify(st.logs) : '[]';
}

let inspection = null;
/** Metadata of a bundle: stored for takeInspection(), because the call itself ends with the epilogue marker. */
// A value thrown out of a host call is copied like an unhandled rejection (getters read with no
// timeout), so nothing may escape: errors come back as text, prefixed with '!'.
export function inspect(sha) {
  armEpilogue();
  current = null;
  inspection = null;
  try { inspection = inspectNode(sha); } catch (e) { inspection = '!' + clip(safeErrorText(e), limits.errorBytes); }
}
export function takeInspection() { const j = inspection; inspection = null; return j; }
function inspectNode(sha) {
  const C = nodeClassOf(instantiate(sha));
  const def = C.definition;
  let category = C.prototype instanceof ConditionNode ? 'condition' : 'action';
  let description, ports, props;
  if (def && typeof def === 'object') {
    if (def.category === 'condition' || def.category === 'action') category = def.category;
    description = def.description; ports = def.ports; props = def.propsSchema;
  } else {
    const meta = C.metadata && typeof C.metadata === 'object' ? C.metadata : {};
    if (meta.category === 'condition' || meta.category === 'action') category = meta.category;
    description = typeof meta.description === 'string' ? meta.description : (typeof C.description === 'string' ? C.description : undefined);
    ports = Array.isArray(meta.ports) ? meta.ports : (Array.isArray(C.ports) ? C.ports : undefined);
    if (!ports) { try { ports = new C({ id: 'inspect', name: C.name }).providedPorts(); } catch (e) { ports = []; } }
  }
  const json = stringify({ category, description, ports: Array.isArray(ports) ? ports : [], propsSchema: props });
  if (json.length > 1048576) throw new RangeError('the node metadata is larger than 1 MiB of JSON');
  return json;
}

MODULES.set('@wayfarer-ai/btree', freeze({ BaseNode, ActionNode, ConditionNode, NodeStatus, ConfigurationError }));
MODULES.set('@temporalio/workflow', freeze({
  proxyActivities, sleep,
  log: freeze({ debug: guestConsole.debug, info: guestConsole.info, warn: guestConsole.warn, error: guestConsole.error }),
}));

export const __capability = callCapability;
export const __describe = describe;

lockdown([BaseNode, ActionNode, ConditionNode, ConfigurationError, Blackboard, NodeStatus, proxyHandler, guestConsole, limits, requireModule]);
