// @ts-check
// (value, Q, maxResultChars, maxDepth) → problem | null: compiled inside QuickJS only when the
// prelude flagged a result. Walks it and names the first offending path; mirrors `toJsonSafe`
// (binding-core/json-copy.ts) using the intrinsics `Q` captured before the script ran.
(function (root, Q, maxResultChars, maxDepth) {
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
})
