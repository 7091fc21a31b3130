/**
 * Guest source (runs INSIDE the isolate): freezes the realm before any tenant code runs.
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
 *
 * Kept out of template-literal interpolation on purpose: the string is sent to the isolate as is.
 * @module
 */
export const LOCKDOWN_SOURCE = String.raw`
function __wfLockdown(extraRoots) {
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

  const roots = [G,
    function* () {}, async function () {}, async function* () {}, async () => {},
    (function* () {})(), (async function* () {})(),
    [][Symbol.iterator](), new Map().entries(), new Set().values(), ''[Symbol.iterator](), 'a'.matchAll(/a/g),
  ].concat(extraRoots || []);
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
`;
