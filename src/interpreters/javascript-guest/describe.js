// @ts-check
// (thrown, Q) → '{"n","m","s"}': name, message and stack of a value a script threw, bounded.
// Compiled inside QuickJS only after a failure.
(function (err, Q) {
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
})
