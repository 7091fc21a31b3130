// @ts-check
/**
 * The runtime module `wf:lockdown` (runs INSIDE the tenant's isolate): freezes the realm before
 * any tenant code runs. `core.js` calls {@link lockdown} as the last step of its evaluation.
 *
 * Why: nodes must be stateless across ticks (Temporal may run consecutive ticks on different
 * workers), and the guest runtime must not be tampered with by the tenant code it hosts. Every
 * intrinsic reachable from `globalThis` (plus the hidden ones: generator, async and iterator
 * prototypes) is frozen, and so is `globalThis` itself. Properties that ordinary code commonly
 * shadows by assignment (`err.name = …`, `obj.toString = …`) are turned into accessors whose
 * setter defines an own property on the receiver, so that freezing does not break them (the
 * "override mistake", as SES's `lockdown()` handles it).
 *
 * `WebAssembly`, `SharedArrayBuffer` and `Atomics` are removed: no node needs them, wasm memory
 * is not accounted like the JS heap, and `Atomics.wait` could block the isolate thread.
 */

// V8 runs several Array.prototype built-ins as C++ loops over 0..length that never check for
// termination: on an array or array-like with a huge length and no elements (a.length = 2 ** 32 - 1,
// { length: 2 ** 53 - 1 }) they ignore the time limit, and isolated-vm then kills the whole process
// ("Script failed to terminate"); fill/toReversed on such an array is a fatal V8 out-of-memory.
// So those built-ins refuse receivers (and concat arguments) longer than MAX_ARRAY_LENGTH, a length
// no dense array can reach inside the memory limit anyway. The length is read without running tenant
// code (no getters, no Proxy traps: Proxies are tracked from their constructor), so it cannot change
// between the check and the built-in's own read. flat/flatMap are re-implemented in JS, which the
// time limit interrupts (their nested arrays are never checked by the built-in wrapper).
function guardArrayBuiltins(G) {
  'use strict';
  const MAX_ARRAY_LENGTH = 16777216;
  const O = Object, AP = Array.prototype, isArray = Array.isArray, apply = Reflect.apply;
  const getOwnPropertyDescriptor = O.getOwnPropertyDescriptor, getPrototypeOf = O.getPrototypeOf, defineProperty = O.defineProperty;
  const RealProxy = Proxy, revocable = Proxy.revocable;
  const proxies = new WeakSet();
  const addProxy = WeakSet.prototype.add, hasProxy = WeakSet.prototype.has;
  const typedArrayLength = /** @type {PropertyDescriptor} */ (getOwnPropertyDescriptor(getPrototypeOf(Uint8Array.prototype), 'length')).get;
  const SandboxProxy = function Proxy(target, handler) {
    if (new.target === undefined) throw new TypeError("Constructor Proxy requires 'new'");
    const p = new RealProxy(target, handler);
    apply(addProxy, proxies, [p]);
    return p;
  };
  defineProperty(SandboxProxy, 'revocable', {
    value: function revocable_(target, handler) { const r = apply(revocable, RealProxy, [target, handler]); apply(addProxy, proxies, [r.proxy]); return r; },
    writable: true, enumerable: false, configurable: true,
  });
  defineProperty(G, 'Proxy', { value: SandboxProxy, writable: true, enumerable: false, configurable: true });

  function tooLong(name) { return new RangeError('Array.prototype.' + name + ' refuses a length over ' + MAX_ARRAY_LENGTH + ' in the sandbox'); }
  function checkLength(o, name) {
    if (typeof o === 'string') { if (o.length > MAX_ARRAY_LENGTH) throw tooLong(name); return; }
    if (o === null || (typeof o !== 'object' && typeof o !== 'function')) return;
    if (apply(hasProxy, proxies, [o])) throw new TypeError('Array.prototype.' + name + ' cannot be used on a Proxy in the sandbox');
    if (isArray(o)) { if (o.length > MAX_ARRAY_LENGTH) throw tooLong(name); return; }
    for (let p = o; p !== null; p = getPrototypeOf(p)) {
      if (apply(hasProxy, proxies, [p])) throw new TypeError('Array.prototype.' + name + ' cannot be used on an object whose prototype is a Proxy in the sandbox');
      const d = getOwnPropertyDescriptor(p, 'length');
      if (!d) continue;
      if ('value' in d) {
        if (d.value === undefined) return;
        if (typeof d.value !== 'number') throw new TypeError('Array.prototype.' + name + ' needs a numeric length in the sandbox');
        if (d.value > MAX_ARRAY_LENGTH) throw tooLong(name);
        return;
      }
      if (d.get === typedArrayLength && p !== o) return; // bounded by the buffer, hence by memory
      throw new TypeError('Array.prototype.' + name + ' cannot be used on an object whose length is a getter in the sandbox');
    }
  }
  function guard(name, check) {
    const orig = AP[name];
    if (typeof orig !== 'function') return;
    const wrapped = { [name](...args) { check(this, args); return apply(orig, this, args); } }[name];
    defineProperty(wrapped, 'length', { value: orig.length });
    defineProperty(AP, name, { value: wrapped, writable: true, enumerable: false, configurable: true });
  }
  for (const name of ['indexOf', 'lastIndexOf', 'includes', 'sort', 'reverse', 'copyWithin', 'splice', 'fill', 'join', 'toLocaleString',
    'every', 'some', 'forEach', 'filter', 'find', 'findIndex', 'findLast', 'findLastIndex', 'reduce', 'reduceRight', 'map', 'slice',
    'shift', 'unshift', 'toSorted', 'toSpliced', 'toReversed', 'with']) {
    guard(name, (self) => checkLength(self, name));
  }
  guard('concat', (self, args) => { checkLength(self, 'concat'); for (let i = 0; i < args.length; i++) checkLength(args[i], 'concat'); });

  function flattenInto(target, source, depth, mapper, thisArg) {
    const len = source.length;
    if (len > MAX_ARRAY_LENGTH) throw tooLong('flat');
    for (let i = 0; i < len; i++) {
      if (!(i in source)) continue;
      let v = source[i];
      if (mapper) v = apply(mapper, thisArg, [v, i, source]);
      if (depth > 0 && isArray(v)) flattenInto(target, v, depth - 1, undefined, undefined);
      else target[target.length] = v;
    }
    return target;
  }
  defineProperty(AP, 'flat', { value: { flat(depth) {
    const o = O(this); const d = depth === undefined ? 1 : Math.trunc(Number(depth)) || 0;
    return flattenInto([], o, d, undefined, undefined);
  } }.flat, writable: true, enumerable: false, configurable: true });
  defineProperty(AP, 'flatMap', { value: { flatMap(fn, thisArg) {
    if (typeof fn !== 'function') throw new TypeError('Array.prototype.flatMap: the callback must be a function');
    return flattenInto([], O(this), 1, fn, thisArg);
  } }.flatMap, writable: true, enumerable: false, configurable: true });
}

/**
 * Freezes the realm: every intrinsic reachable from `globalThis`, and `extraRoots`.
 * @param {unknown[]} extraRoots
 */
export function lockdown(extraRoots) {
  'use strict';
  const G = globalThis;
  const O = Object;
  const freeze = O.freeze, getOwnPropertyDescriptor = O.getOwnPropertyDescriptor, defineProperty = O.defineProperty, getPrototypeOf = O.getPrototypeOf;
  const ownKeys = Reflect.ownKeys;
  for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics']) { delete G[name]; }

  function tame(obj, prop) {
    const d = getOwnPropertyDescriptor(obj, prop);
    if (!d || !('value' in d) || !d.configurable) return;
    const value = d.value;
    defineProperty(obj, prop, {
      get() { return value; },
      set(v) {
        if (this === obj) throw new TypeError('Cannot assign to ' + String(prop) + ': the sandbox realm is frozen');
        defineProperty(this, prop, { value: v, writable: true, enumerable: true, configurable: true });
      },
      enumerable: d.enumerable,
      configurable: false,
    });
  }
  const objectProps = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'];
  for (const p of objectProps) tame(O.prototype, p);
  const errors = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError];
  if (typeof SuppressedError === 'function') errors.push(SuppressedError);
  for (const E of errors) { for (const p of ['name', 'message', 'constructor', 'toString']) tame(E.prototype, p); }
  for (const p of ['constructor', 'toString', 'name']) tame(Function.prototype, p);
  // Not Array/Promise.prototype.constructor: V8 guards its fast array and promise paths with
  // "species protectors" that an accessor there would trip, making every tick several µs slower.
  // Assigning arr.constructor / promise.constructor therefore throws (Object.defineProperty works).
  for (const C of [Map, Set, Date, RegExp, String, Number, Boolean, Symbol]) tame(C.prototype, 'constructor');
  tame(Array.prototype, 'toString');
  guardArrayBuiltins(G);

  const roots = /** @type {unknown[]} */ ([G,
    function* () {}, async function () {}, async function* () {}, async () => {},
    (function* () {})(), (async function* () {})(),
    [][Symbol.iterator](), new Map().entries(), new Set().values(), ''[Symbol.iterator](), 'a'.matchAll(/a/g),
  ]).concat(extraRoots || []);
  const seen = new Set();
  const queue = roots.slice();
  while (queue.length) {
    const o = queue.pop();
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
    seen.add(o);
    for (const k of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, k);
      if (!d) continue;
      if ('value' in d) queue.push(d.value); else { queue.push(d.get); queue.push(d.set); }
    }
    queue.push(getPrototypeOf(o));
    freeze(o);
  }
}
