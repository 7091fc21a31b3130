// @ts-check
/**
 * Runs first inside every Pyodide isolate, before the emscripten glue (a classic script: the host
 * concatenates prelude.js, the patched glue and loader, and boot.js, see pyodide-bundle.ts).
 *
 * It gives the glue the little "shell" (d8) environment it needs and nothing more: a buffered
 * console, `performance.now`, a seeded `crypto.getRandomValues`, `TextEncoder`/`TextDecoder`, an
 * in-isolate timer queue the host drains, `read`/`readbuffer`/`load` over an in-isolate map of
 * copied file bytes, and a locked-down `WebAssembly` whose memories are bounded and budgeted
 * (isolated-vm's `memoryLimit` does not count wasm memory). No host object or `Reference` is ever
 * placed in the isolate. Internals are handed to the boot script through `globalThis.__btpPrelude`,
 * which the boot script deletes.
 */

(function () {
  'use strict';
  var G = globalThis;
  /**
   * @type {{ files: Record<string, ArrayBuffer>, mainModule: WebAssembly.Module | null, mainModuleInstantiated: boolean,
   *   mainPlaceholder: ArrayBuffer | null, mainPages: number, mainMemory: WebAssembly.Memory | null, budgetPages: number,
   *   usedPages: number, heapLimitBytes: number }}
   */
  var state = {
    files: Object.create(null),
    mainModule: null, mainModuleInstantiated: false, mainPlaceholder: null, mainPages: 0, mainMemory: null,
    budgetPages: 0, usedPages: 0, heapLimitBytes: Infinity,
  };

  // ---- console: a bounded ring the host drains (boot diagnostics only; script output is captured elsewhere)
  var consoleLines = [];
  function fmt(args) {
    var parts = [];
    for (var i = 0; i < args.length; i++) {
      var a = args[i];
      parts.push(typeof a === 'string' ? a : (a && a.stack) ? String(a.stack) : String(a));
    }
    return parts.join(' ').slice(0, 2000);
  }
  function logAt(level) { return function () { consoleLines.push(level + ': ' + fmt(arguments)); if (consoleLines.length > 200) consoleLines.shift(); }; }
  G.console = { log: logAt('log'), info: logAt('info'), debug: logAt('debug'), warn: logAt('warn'), error: logAt('error'), trace: logAt('trace') };

  var t0 = Date.now();
  G.performance = { now: function () { return Date.now() - t0; }, timeOrigin: t0 };

  // ---- crypto.getRandomValues: ChaCha20 keyed by 32 bytes of host randomness, one key per isolate
  var key = null, block = new Uint32Array(16), blockBytes = new Uint8Array(block.buffer), input = new Uint32Array(16), used = 64;
  function rotl(v, c) { return (v << c) | (v >>> (32 - c)); }
  function quarter(x, a, b, c, d) {
    x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], 16); x[c] += x[d]; x[b] = rotl(x[b] ^ x[c], 12);
    x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], 8); x[c] += x[d]; x[b] = rotl(x[b] ^ x[c], 7);
  }
  function nextBlock() {
    block.set(input);
    for (var i = 0; i < 10; i++) {
      quarter(block, 0, 4, 8, 12); quarter(block, 1, 5, 9, 13); quarter(block, 2, 6, 10, 14); quarter(block, 3, 7, 11, 15);
      quarter(block, 0, 5, 10, 15); quarter(block, 1, 6, 11, 12); quarter(block, 2, 7, 8, 13); quarter(block, 3, 4, 9, 14);
    }
    for (var j = 0; j < 16; j++) block[j] += input[j];
    if (++input[12] === 0) input[13]++;
    used = 0;
  }
  function seed(bytes) {
    if (bytes.byteLength !== 32) throw new Error('sandbox: the random seed must be 32 bytes');
    input[0] = 0x61707865; input[1] = 0x3320646e; input[2] = 0x79622d32; input[3] = 0x6b206574;
    input.set(new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 32)), 4);
    input[12] = 0; input[13] = 0; input[14] = 0; input[15] = 0;
    key = true; used = 64;
  }
  G.crypto = {
    getRandomValues: function (view) {
      if (!key) throw new Error('sandbox: randomness is not seeded yet');
      if (!ArrayBuffer.isView(view) || view.byteLength > 65536) throw new TypeError('getRandomValues: expected an integer typed array of at most 65536 bytes');
      var out = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      for (var i = 0; i < out.length; i++) { if (used === 64) nextBlock(); out[i] = blockBytes[used++]; }
      return view;
    },
  };

  // ---- TextEncoder / TextDecoder (utf-8; the decoder also reads latin1 and utf-16le)
  function fromUnits(units, length) {
    var s = '';
    for (var k = 0; k < length; k += 8192) s += String.fromCharCode.apply(null, units.subarray(k, Math.min(length, k + 8192)));
    return s;
  }
  function utf8Decode(b, fatal, ignoreBOM) {
    var n = b.length, i = 0, j = 0;
    if (!ignoreBOM && n >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
    var units = new Uint16Array(n);
    while (i < n) {
      var c = b[i];
      if (c < 0x80) { units[j++] = c; i++; continue; }
      var need = 0, cp = 0, min = 0;
      if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; min = 0x80; }
      else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; min = 0x800; }
      else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; min = 0x10000; }
      var k = 1;
      if (need) for (; k <= need && i + k < n && (b[i + k] & 0xc0) === 0x80; k++) cp = (cp << 6) | (b[i + k] & 0x3f);
      if (!need || k <= need || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        if (fatal) throw new TypeError('The encoded data was not valid for encoding utf-8');
        units[j++] = 0xfffd; i += need ? k : 1; continue;
      }
      i += need + 1;
      if (cp >= 0x10000) { cp -= 0x10000; units[j++] = 0xd800 + (cp >> 10); units[j++] = 0xdc00 + (cp & 0x3ff); }
      else units[j++] = cp;
    }
    return fromUnits(units, j);
  }
  function asBytes(input) {
    if (input instanceof Uint8Array) return input;
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    return new Uint8Array(input);
  }
  /**
   * @constructor
   * @param {string} [label]
   * @param {{ fatal?: boolean, ignoreBOM?: boolean }} [options]
   */
  function TextDecoder(label, options) {
    var l = String(label === undefined ? 'utf-8' : label).toLowerCase();
    if (l === 'utf8' || l === 'unicode-1-1-utf-8') l = 'utf-8';
    if (l === 'latin1' || l === 'ascii' || l === 'us-ascii' || l === 'iso-8859-1') l = 'windows-1252';
    if (l === 'utf-16') l = 'utf-16le';
    if (l !== 'utf-8' && l !== 'windows-1252' && l !== 'utf-16le') throw new RangeError('TextDecoder: unsupported encoding ' + l);
    this.encoding = l; this.fatal = !!(options && options.fatal); this.ignoreBOM = !!(options && options.ignoreBOM);
  }
  TextDecoder.prototype.decode = function (input) {
    if (input === undefined) return '';
    var b = asBytes(input);
    if (this.encoding === 'utf-8') return utf8Decode(b, this.fatal, this.ignoreBOM);
    if (this.encoding === 'windows-1252') return fromUnits(new Uint16Array(b), b.length);
    var units = new Uint16Array(b.length >> 1);
    for (var i = 0; i < units.length; i++) units[i] = b[2 * i] | (b[2 * i + 1] << 8);
    return fromUnits(units, units.length);
  };
  /** @constructor */
  function TextEncoder() {}
  Object.defineProperty(TextEncoder.prototype, 'encoding', { get: function () { return 'utf-8'; } });
  TextEncoder.prototype.encodeInto = function (str, dest) {
    var s = String(str), read = 0, written = 0, cap = dest.length;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i), units = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        var d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); units = 2; } else c = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      var size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (written + size > cap) break;
      if (size === 1) dest[written++] = c;
      else if (size === 2) { dest[written++] = 0xc0 | (c >> 6); dest[written++] = 0x80 | (c & 63); }
      else if (size === 3) { dest[written++] = 0xe0 | (c >> 12); dest[written++] = 0x80 | ((c >> 6) & 63); dest[written++] = 0x80 | (c & 63); }
      else { dest[written++] = 0xf0 | (c >> 18); dest[written++] = 0x80 | ((c >> 12) & 63); dest[written++] = 0x80 | ((c >> 6) & 63); dest[written++] = 0x80 | (c & 63); }
      read += units; i += units - 1;
    }
    return { read: read, written: written };
  };
  TextEncoder.prototype.encode = function (str) {
    var s = String(str === undefined ? '' : str), buf = new Uint8Array(s.length * 3);
    return buf.slice(0, this.encodeInto(s, buf).written);
  };
  G.TextDecoder = TextDecoder; G.TextEncoder = TextEncoder;

  // ---- btoa / atob (latin1 <-> base64), used by Pyodide's package loader
  var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  G.btoa = function (input) {
    var s = String(input), out = '';
    for (var i = 0; i < s.length; i += 3) {
      var a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
      if (a > 255 || b > 255 || c > 255) throw new Error('btoa: the string has characters outside latin1');
      var n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < s.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < s.length ? B64[n & 63] : '=');
    }
    return out;
  };
  G.atob = function (input) {
    var s = String(input).replace(/[\s=]+/g, ''), out = '', bits = 0, value = 0;
    for (var i = 0; i < s.length; i++) {
      var d = B64.indexOf(s[i]);
      if (d < 0) throw new Error('atob: invalid base64');
      value = (value << 6) | d; bits += 6;
      if (bits >= 8) { bits -= 8; out += String.fromCharCode((value >> bits) & 255); }
    }
    return out;
  };

  // ---- timers: an in-isolate queue; the host drains it while it waits for an isolate promise
  var timers = new Map(), nextTimer = 1;
  G.setTimeout = function (fn, ms) {
    var args = Array.prototype.slice.call(arguments, 2), id = nextTimer++;
    timers.set(id, { fn: fn, args: args, at: Date.now() + (+ms || 0) });
    return id;
  };
  G.clearTimeout = function (id) { timers.delete(id); };
  G.setInterval = function () { throw new Error('sandbox: setInterval is not available'); };
  G.clearInterval = function () {};
  if (typeof G.queueMicrotask !== 'function') G.queueMicrotask = function (f) { Promise.resolve().then(f); };
  function runTimers() {
    var now = Date.now(), due = [];
    timers.forEach(function (t, id) { if (t.at <= now) due.push([id, t]); });
    due.sort(function (a, b) { return a[1].at - b[1].at; });
    for (var i = 0; i < due.length; i++) { timers.delete(due[i][0]); due[i][1].fn.apply(undefined, due[i][1].args); }
    return timers.size;
  }

  // ---- d8 "shell" file access over the in-isolate file map (copied bytes, no host access)
  G.readbuffer = function (path) {
    var f = state.files[String(path)];
    if (!f) throw new Error('sandbox: no such file ' + String(path).slice(0, 200));
    return f;
  };
  G.read = function (path, mode) {
    var f = G.readbuffer(path);
    return mode === 'binary' ? new Uint8Array(f) : new TextDecoder().decode(f);
  };
  G.load = function () { throw new Error('sandbox: load() is not available'); };

  // ---- WebAssembly lockdown. Every memory created in the isolate must declare a maximum, and the
  // maxima are charged against a budget; Pyodide's own memory (capped in its binary by the host) is
  // charged only from its second instantiation on. grow() of the main memory honours the per-run limit.
  var W = WebAssembly, OrigModule = W.Module, OrigInstance = W.Instance, OrigMemory = W.Memory;
  var origGrow = OrigMemory.prototype.grow, modulePages = new WeakMap();
  function charge(pages) {
    if (!(pages >= 0) || state.usedPages + pages > state.budgetPages) throw new RangeError('sandbox: WebAssembly memory budget exceeded');
    state.usedPages += pages;
  }
  function leb(b, p) { var r = 0, s = 0, x; do { x = b[p++]; r += (x & 0x7f) * Math.pow(2, s); s += 7; } while ((x & 0x80) && s < 42); return [r, p]; }
  function definedMemoryPages(bytes) {
    var b = asBytes(bytes), p = 8, total = 0;
    while (p < b.length) {
      var id = b[p], h = leb(b, p + 1), end = h[1] + h[0];
      if (id === 5) {
        var c = leb(b, h[1]), q = c[1];
        for (var i = 0; i < c[0]; i++) {
          var flags = b[q++], m = leb(b, q); q = m[1];
          if (!(flags & 1) || (flags & 4)) return Infinity;
          var x = leb(b, q); q = x[1]; total += x[0];
        }
      }
      p = end;
    }
    return total;
  }
  function pagesOf(module) {
    if (module === state.mainModule) {
      if (!state.mainModuleInstantiated) { state.mainModuleInstantiated = true; return 0; }
      return state.mainPages;
    }
    var pages = modulePages.get(module);
    if (pages === undefined) throw new TypeError('sandbox: unknown WebAssembly.Module');
    return pages;
  }
  /** @constructor */
  function Module(bytes) {
    if (!new.target) throw new TypeError("Constructor WebAssembly.Module requires 'new'");
    var m = Reflect.construct(OrigModule, [bytes], new.target);
    var pages = definedMemoryPages(bytes);
    if (pages === Infinity) throw new RangeError('sandbox: a WebAssembly module must declare a maximum for its memory');
    modulePages.set(m, pages);
    return m;
  }
  /** @constructor */
  function Instance(module, imports) {
    if (!new.target) throw new TypeError("Constructor WebAssembly.Instance requires 'new'");
    charge(pagesOf(module));
    return Reflect.construct(OrigInstance, [module, imports], new.target);
  }
  /** @constructor */
  function Memory(descriptor) {
    if (!new.target) throw new TypeError("Constructor WebAssembly.Memory requires 'new'");
    var max = descriptor && descriptor.maximum;
    if (typeof max !== 'number' || !(max >= 0)) throw new RangeError('sandbox: WebAssembly.Memory requires a maximum');
    charge(Math.ceil(max));
    return Reflect.construct(OrigMemory, [descriptor], new.target);
  }
  /** @this {WebAssembly.Memory} @param {number} delta */
  function grow(delta) {
    if (this === state.mainMemory && this.buffer.byteLength + Number(delta) * 65536 > state.heapLimitBytes) {
      throw new RangeError('sandbox: memory limit reached');
    }
    return origGrow.call(this, delta);
  }
  function instantiate(source, imports) {
    try {
      if (source instanceof OrigModule) return Promise.resolve(new Instance(source, imports));
      if (state.mainPlaceholder && source && source.buffer === state.mainPlaceholder) {
        var instance = /** @type {WebAssembly.Instance} */ (new Instance(state.mainModule, imports));
        state.mainMemory = /** @type {WebAssembly.Memory} */ (instance.exports.memory);
        return Promise.resolve({ module: state.mainModule, instance: instance });
      }
      var m = new Module(source);
      return Promise.resolve({ module: m, instance: new Instance(m, imports) });
    } catch (e) {
      return Promise.reject(e);
    }
  }
  function compile(source) { try { return Promise.resolve(new Module(source)); } catch (e) { return Promise.reject(e); } }
  var statics = ['imports', 'exports', 'customSections'];
  for (var s = 0; s < statics.length; s++) Object.defineProperty(Module, statics[s], { value: OrigModule[statics[s]] });
  var wrapped = [[Module, OrigModule], [Instance, OrigInstance], [Memory, OrigMemory]];
  for (var w = 0; w < wrapped.length; w++) {
    Object.defineProperty(wrapped[w][0], 'prototype', { value: wrapped[w][1].prototype, writable: false });
    Object.defineProperty(wrapped[w][1].prototype, 'constructor', { value: wrapped[w][0], writable: false, configurable: false });
  }
  Object.defineProperty(OrigMemory.prototype, 'grow', { value: grow, writable: false, configurable: false });
  delete W.compileStreaming; delete W.instantiateStreaming;
  var locked = { Module: Module, Instance: Instance, Memory: Memory, instantiate: instantiate, compile: compile };
  for (var k in locked) Object.defineProperty(W, k, { value: locked[k], writable: false, configurable: false });
  Object.defineProperty(G, 'WebAssembly', { value: W, writable: false, configurable: false });

  G.__btpPrelude = {
    seed: seed,
    runTimers: runTimers,
    drainConsole: function () { return consoleLines.splice(0, consoleLines.length); },
    setFile: function (path, bytes) { state.files[path] = bytes; },
    dropFile: function (path) { delete state.files[path]; },
    setMainModule: function (module, pages, budgetPages) {
      state.mainModule = module; state.mainPages = pages; state.budgetPages = budgetPages;
      state.mainPlaceholder = new ArrayBuffer(0);
      state.files['/pyodide/pyodide.asm.wasm'] = state.mainPlaceholder;
    },
    setHeapLimit: function (bytes) { state.heapLimitBytes = bytes; },
    heapBytes: function () { return state.mainMemory ? state.mainMemory.buffer.byteLength : 0; },
    utf8Decode: function (bytes) { return utf8Decode(bytes, false, true); },
  };
})();
