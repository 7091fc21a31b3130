/**
 * Trusted code the QuickJS engine evaluates in every fresh context, around the tenant's script
 * (private helper of `javascript.ts` / `javascript-worker-source.ts`).
 *
 * QuickJS compiles source on every run (≈0.1 µs per token: this prelude is most of a warm run's
 * QuickJS time after the context itself) and there is no safe way to reuse compiled code across
 * runtimes, so the part evaluated on every run ({@link PRELUDE_SOURCE}) is kept small; the helpers
 * only needed after a failure ({@link CHECKER_SOURCE}, {@link DESCRIBE_SOURCE}) or on first use of
 * `console` ({@link CONSOLE_SOURCE}) are compiled only then. The worker evaluates the prelude in a
 * fresh runtime *before* the next job arrives (nothing of a tenant is in it yet), so on a warm
 * engine its cost is off the critical path whenever the host leaves the worker a moment between runs.
 *
 * {@link PRELUDE_SOURCE} evaluates to `factory(consoleSource, ...intrinsics)`. Called once in the fresh
 * context with the intrinsics named by {@link PRELUDE_INTRINSICS}, the factory keeps them, defines `console` (compiled on first use through the
 * indirect `eval` captured here), and returns `control(mode, a, b, c, d, e)`:
 * - `control(0, inputsJson, maxLines, maxChars, maxResultChars, maxDepth)` → sets the limits and defines
 *   the inputs as globals (parsed from one JSON text inside QuickJS: no host handle per value). Called
 *   when the job arrives, before the tenant's script.
 * - `control(2)` → the envelope `{"r": <result JSON>, "o": [lines], "d": dropped, "t": truncated}` as text,
 *   or the number `1` when it is longer than the cap, or `0` when it is suspect: JSON.stringify would
 *   have changed it, or threw (a cycle, a throwing getter; the checker then names the path or rethrows). The result is serialised with `JSON.stringify` and a replacer that stops at
 *   anything JSON would silently change (NaN, undefined, functions, Map, Date via toJSON, holes, symbol
 *   keys, cycles) or once the text outgrows the cap. Depth is checked on the host (`toJsonSafe`), which
 *   names the path too. The envelope crosses to the host as text and is parsed and checked there.
 * - `control(1)` → the same envelope with `"r": null` (after a failure, to keep the output).
 * - `control(3, checker)` → calls the compiled {@link CHECKER_SOURCE} with the result and the
 *   captured intrinsics; returns, as JSON text, the offending path and why (`result.items[3].x is NaN, …`) or null.
 * - `control(4, describe, thrown)` → calls the compiled {@link DESCRIBE_SOURCE} on a thrown value:
 *   `{"n": name, "m": message, "s": stack}`.
 *
 * Everything is captured before the tenant runs, so a script that overwrites globals or prototypes
 * only garbles its own output. That is not the security boundary: the worker caps every text's length
 * before copying it out of QuickJS, and the host parses the text itself and re-checks the result with
 * `toJsonSafe` and the output against its caps.
 *
 * @module
 */

/** File name the prelude is evaluated under (never shown to tenants as a line). */
export const PRELUDE_FILENAME = 'prelude.js';

/** File name the tenant's script is evaluated under; line numbers are parsed from `script.js:N`. */
export const SCRIPT_FILENAME = 'script.js';

/**
 * The intrinsics the prelude's factory receives after the console source, in order, as property paths
 * from the global object. The worker reads them before any tenant code runs.
 */
export const PRELUDE_INTRINSICS: readonly string[] = Object.freeze([
  'Reflect.apply', 'JSON.stringify', 'JSON.parse', 'Object.defineProperty', 'Object.getPrototypeOf', 'Array.isArray',
  'Object.prototype', 'Object.prototype.hasOwnProperty', 'Object.getOwnPropertySymbols', 'Object.prototype.propertyIsEnumerable',
  'Array.prototype', 'eval', 'Object.keys', 'String.prototype.slice', 'String', 'Error',
]);

// Kept short on purpose: its compile time is paid on every run. The intrinsics it relies on are read
// by the worker with handle calls (about as cheap as compiling code that reads them, and it keeps the
// prelude to its own logic) and passed in, in the order of {@link PRELUDE_INTRINSICS}. Names: A Reflect.apply, S JSON.stringify, J JSON.parse,
// D defineProperty, P getPrototypeOf, Y isArray, O/B Object/Array prototypes, H hasOwnProperty,
// R getOwnPropertySymbols, N propertyIsEnumerable, V eval, K Object.keys, X String slice, St String,
// E Error; Q those intrinsics for the lazily compiled helpers (index: 0 apply, 1 stringify, 2 keys,
// 3 getPrototypeOf, 4 getOwnPropertySymbols, 5 isArray, 6 hasOwnProperty, 7 propertyIsEnumerable,
// 8 String slice, 9 String, 10/11 Object/Array prototypes, 12 Error); W console state (text, lines,
// characters, dropped, full); ML/MC/MR/MD limits; z size so far; U/T replacer sentinels.
export const PRELUDE_SOURCE = String.raw`(function(CS,A,S,J,D,P,Y,O,H,R,N,B,V,K,X,St,E){'use strict';
var Q=[A,S,K,P,R,Y,H,N,X,St,O,B,E],W={o:'',n:0,c:0,d:0,f:false},C,ML,MC,MR,MD,z,U={},T={};
function put(v){D(globalThis,'console',{value:v,writable:true,configurable:true})}
D(globalThis,'console',{get:function(){if(!C){C=V(CS)(Q,W,ML,MC);put(C)}return C},set:put,configurable:true});
function rp(k,v){var t=typeof v;if(this[k]!==v)throw U;if(t==='string'){if((z+=v.length+2)>MR)throw T}
else if(t==='number'){if(v!==v||v===1/0||v===-1/0)throw U}else if(v!==null&&t!=='boolean'){if(t!=='object')throw U;t=P(v);
if(Y(v)){if(t!==B)throw U;if((z+=v.length+2)>MR)throw T;for(var i=0;i<v.length;i++)if(!A(H,v,[i]))throw U}
else{if(t!==O&&t!==null)throw U;for(var y=R(v),j=0;j<y.length;j++)if(A(N,v,[y[j]]))throw U}}return v}
return function(m,a,b,c,d,e){var v=null;
if(m===0){ML=b;MC=c;MR=d;MD=e;a=J(a);for(var k in a)D(globalThis,k,{value:a[k],writable:true,enumerable:true,configurable:true});return}
if(m===4)return a(b,Q);if(m!==1){if(typeof result!=='undefined')v=result;if(m===3)return S(a(v,Q,MR,MD));
z=0;try{v=S(v,rp)}catch(x){return x===T?1:0}if(v.length>MR)return 1}
return'{"r":'+v+',"o":['+W.o+'],"d":'+W.d+',"t":'+W.f+'}'}})`;

/**
 * `(Q, state, maxLines, maxChars) → console`: compiled on the first access to `console`. Formats each
 * call's arguments at call time (strings as is, errors as `Name: message`, other values as JSON) and
 * appends the line, JSON-encoded, to `state.o`, within the line and character caps.
 */
export const CONSOLE_SOURCE = String.raw`(function(Q,W,ML,MC){'use strict';
var A=Q[0],S=Q[1],X=Q[8],St=Q[9],E=Q[12];
function fmt(v){try{return typeof v==='string'?v:v instanceof E?St(v.name)+': '+St(v.message):typeof v==='object'&&v!==null&&typeof(v=S(v))==='string'?v:St(v)}catch(e){return'[unprintable]'}}
function w(p){return function(){if(W.n>=ML||W.f){W.f=true;W.d++;return}var r=MC-W.c,s=p;
for(var i=0;i<arguments.length&&s.length<=r;i++)s+=(i?' ':'')+fmt(arguments[i]);
if(s.length>r){s=A(X,s,[0,r]);W.f=true}W.o+=(W.n++?',':'')+S(s);W.c+=s.length}}
return{log:w(''),info:w(''),debug:w(''),warn:w('warn: '),error:w('error: ')}})`;

/**
 * `(value, Q, maxResultChars, maxDepth) → problem | null`: walks a result the fast path flagged and names the
 * first offending path. Mirrors `toJsonSafe` (binding-core/json-copy.ts) using the intrinsics `Q` captured before the script ran.
 */
export const CHECKER_SOURCE = String.raw`(function (root, Q, maxResultChars, maxDepth) {
'use strict';
var K = { apply: Q[0], stringify: Q[1], keysOf: Q[2], protoOf: Q[3], ownSymbols: Q[4], isArray: Q[5], hasOwn: Q[6],
  isEnumerable: Q[7], slice: Q[8], Str: Q[9], ObjectProto: Q[10], ArrayProto: Q[11] };
var apply = K.apply, size = 0;
function Fail(frame, problem) { this.frame = frame; this.problem = problem; }
function pathOf(frame) {
  var p = '';
  for (var f = frame; f && f.p; f = f.p) {
    var k = f.k;
    p = (typeof k === 'number' ? '[' + k + ']' : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) && k.length <= 64 ? '.' + k
      : '[' + K.stringify(k.length > 64 ? apply(K.slice, k, [0, 60]) + '…' : k) + ']') + p;
  }
  return 'result' + p;
}
function describeObject(v) {
  try {
    // The tenant may have replaced these globals by now: that only changes the wording of its own error.
    if (v instanceof Map) return 'is a Map, which JSON cannot represent. HINT: convert it with Object.fromEntries(map)';
    if (v instanceof Set) return 'is a Set, which JSON cannot represent. HINT: convert it with Array.from(set)';
    if (v instanceof Date) return 'is a Date, which JSON cannot represent. HINT: convert it with date.toISOString()';
    if (v instanceof RegExp) return 'is a RegExp, which JSON cannot represent. HINT: use its source string';
    if (typeof ArrayBuffer === 'function' && (v instanceof ArrayBuffer || ArrayBuffer.isView(v))) return 'is bytes, which JSON cannot represent. HINT: encode them as a base64 string';
    if (v instanceof Promise) return 'is a Promise, which JSON cannot represent. HINT: assign the awaited value instead, e.g. (async () => { result = await work(); })()';
    if (v instanceof Error) return 'is an Error, which JSON cannot represent. HINT: use its message string';
    var proto = K.protoOf(v), c = proto && proto.constructor;
    var name = typeof c === 'function' && typeof c.name === 'string' && c.name ? c.name : 'unknown';
    return 'is an instance of ' + apply(K.slice, name, [0, 60]) + ', not a plain object. HINT: copy the fields you need into a plain object';
  } catch (e) {
    return 'is not a plain object';
  }
}
function check(v, frame, depth) {
  var t = typeof v;
  if (t === 'string') size += v.length + 2;
  else if (t === 'boolean') size += 5;
  else if (t === 'number') {
    if (v !== v) throw new Fail(frame, 'is NaN, which JSON cannot represent. HINT: use null for missing numbers');
    if (v === 1 / 0 || v === -1 / 0) throw new Fail(frame, 'is ' + (v > 0 ? 'Infinity' : '-Infinity') + ', which JSON cannot represent. HINT: use null or a large finite number');
    size += 8;
  }
  else if (t === 'undefined') throw new Fail(frame, 'is undefined, which JSON cannot represent. HINT: use null, or leave the key out');
  else if (t === 'bigint') throw new Fail(frame, 'is a BigInt, which JSON cannot represent. HINT: convert it to a string or a Number');
  else if (t === 'function') throw new Fail(frame, 'is a function, which JSON cannot represent');
  else if (t === 'symbol') throw new Fail(frame, 'is a symbol, which JSON cannot represent');
  else if (v === null) size += 4;
  else {
    for (var f = frame.p; f; f = f.p) if (f.o === v) throw new Fail(frame, 'refers back to one of its own containers (a cycle), which JSON cannot represent');
    if (depth >= maxDepth) throw new Fail(frame, 'is nested deeper than the ' + maxDepth + '-level limit');
    frame.o = v;
    if (K.isArray(v)) {
      if (K.protoOf(v) !== K.ArrayProto) throw new Fail(frame, describeObject(v));
      size += 2 + v.length;
      for (var i = 0; i < v.length && size <= maxResultChars; i++) {
        var child = { p: frame, k: i, o: null };
        if (!apply(K.hasOwn, v, [i])) throw new Fail(child, 'is a hole in a sparse array, which JSON cannot represent. HINT: fill it with null');
        check(v[i], child, depth + 1);
      }
    } else {
      var proto = K.protoOf(v);
      if (proto !== K.ObjectProto && proto !== null) throw new Fail(frame, describeObject(v));
      var syms = K.ownSymbols(v);
      for (var j = 0; j < syms.length; j++) if (apply(K.isEnumerable, v, [syms[j]])) throw new Fail(frame, 'has a symbol key, which JSON cannot represent');
      if (typeof v.toJSON === 'function' && apply(K.hasOwn, v, ['toJSON'])) throw new Fail({ p: frame, k: 'toJSON', o: null }, 'is a function, which JSON cannot represent');
      var ks = K.keysOf(v);
      size += 2 + ks.length;
      for (var m = 0; m < ks.length && size <= maxResultChars; m++) { size += ks[m].length + 3; check(v[ks[m]], { p: frame, k: ks[m], o: null }, depth + 1); }
    }
  }
  if (size > maxResultChars) throw new Fail(frame, 'makes the result longer than the ' + maxResultChars + '-character limit');
}
try { check(root, { p: null, k: null, o: null }, 0); return null; }
catch (err) { if (err instanceof Fail) return pathOf(err.frame) + ' ' + err.problem; throw err; }
})`;

/** `(thrown, Q) → '{"n","m","s"}'`: name, message and stack of a thrown value, bounded. */
export const DESCRIBE_SOURCE = String.raw`(function (err, Q) {
'use strict';
var K = { apply: Q[0], stringify: Q[1], slice: Q[8], Str: Q[9], Error: Q[12] };
function fmt(v) {
  try { if (v !== null && typeof v === 'object') { var s = K.stringify(v); if (typeof s === 'string') return s; } return K.Str(v); }
  catch (e) { return '[unprintable]'; }
}
var name = '', message = '', stack = '';
function cut(s, n) { return s.length > n ? K.apply(K.slice, s, [0, n]) : s; }
try {
  if (err instanceof K.Error) { name = K.Str(err.name); message = K.Str(err.message); stack = typeof err.stack === 'string' ? err.stack : ''; }
  else message = 'Uncaught ' + fmt(err);
} catch (e) {
  message = 'Uncaught exception that could not be described';
}
return K.stringify({ n: cut(name, 200), m: cut(message, 2000), s: cut(stack, 4000) });
})`;
