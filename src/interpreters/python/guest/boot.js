// @ts-check
/**
 * Runs inside the Pyodide isolate after the prelude, the emscripten glue and the Pyodide loader.
 * It exposes the host-facing functions on `globalThis.__btpHost`; the host takes `Reference`s to
 * them and deletes the global before any tenant code runs.
 *
 * - `boot(cfgJson, wasmModule, seed, snapshot, lock, stdlib, snapshotLayout)` → Promise<info JSON>
 * - `run(code, inputsJson, limitsJson)` → envelope JSON (or `{"needPackages":[…]}`)
 * - `loadPackages(namesJson, fileNamesJson, ...wheels)` → Promise<JSON> (the wheels not sent before)
 * - `makeSnapshot()` → ArrayBuffer (only in an isolate booted with `makeSnapshot`)
 * - `runTimers()`, `drainConsole()`
 *
 * Script output is captured from Pyodide's raw stdout/stderr into a capped line buffer.
 */

(function () {
  'use strict';
  var G = globalThis;
  var P = G.__btpPrelude; delete G.__btpPrelude;
  var loadPyodide = G.loadPyodide; delete G.loadPyodide;
  var createModule = G._createPyodideModule;
  var restoreHeap = G.__btpRestoreHeap; delete G.__btpRestoreHeap;
  var restoreSkipped = 0;
  var py = null, run = null, findImports = null, imports = null, makeSnapshotAllowed = false;
  var available = Object.create(null), loaded = Object.create(null), pendingCount = 0;
  /** @type {{ lines: string[], partial: string, chars: number, maxLines: number, maxChars: number, truncated: boolean, dropped: number }} */
  var out = { lines: [], partial: '', chars: 0, maxLines: 0, maxChars: 0, truncated: false, dropped: 0 };

  function resetOutput(maxLines, maxChars) {
    out.lines = []; out.partial = ''; out.chars = 0; out.maxLines = maxLines; out.maxChars = maxChars; out.truncated = false; out.dropped = 0;
  }
  function pushLine(line) {
    if (out.lines.length >= out.maxLines || out.chars >= out.maxChars) { out.truncated = true; out.dropped++; return; }
    var room = out.maxChars - out.chars;
    if (line.length > room) { line = line.slice(0, room); out.truncated = true; }
    out.lines.push(line); out.chars += line.length;
  }
  function write(bytes) {
    var n = bytes.length;
    if (out.truncated || out.lines.length >= out.maxLines) { out.truncated = true; out.dropped += newlines(bytes, 0); return n; }
    // decode only what could still be kept (one byte is at least one character)
    var room = out.maxChars - out.chars - out.partial.length + 1;
    var text = P.utf8Decode(n > room ? bytes.subarray(0, Math.max(0, room)) : bytes);
    if (n > room) { out.truncated = true; out.dropped += newlines(bytes, Math.max(0, room)); }
    var parts = (out.partial + text).split('\n');
    out.partial = /** @type {string} */ (parts.pop());
    for (var i = 0; i < parts.length; i++) pushLine(parts[i]);
    if (out.partial.length > out.maxChars) { pushLine(out.partial); out.partial = ''; }
    return n;
  }
  function newlines(bytes, from) {
    var count = 0;
    for (var i = from; i < bytes.length; i++) if (bytes[i] === 10) count++;
    return count;
  }
  function finishOutput() {
    if (out.partial) { pushLine(out.partial); out.partial = ''; }
  }
  function describe(e) {
    try { return String((e && (e.name ? e.name + ': ' : '') + e.message) || e).slice(0, 2000); } catch (_) { return 'unknown error'; }
  }

  /** Evaluates runner.py as the module `_btp_runner` (in `sys.modules` until {@link takeRunner}). */
  function defineRunner(source) {
    py.globals.set('_btp_runner_source', source);
    py.runPython(
      'import sys as _s, types as _t\n_m = _t.ModuleType("_btp_runner")\n' +
      'exec(compile(_btp_runner_source, "<btp-runner>", "exec"), _m.__dict__)\n' +
      '_s.modules["_btp_runner"] = _m\ndel _s, _t, _m, _btp_runner_source',
    );
  }
  /** The runner module (a PyProxy), taken out of `sys.modules` so that scripts cannot import it; null when absent. */
  function takeRunner() {
    var mod = py.runPython('__import__("sys").modules.pop("_btp_runner", None)');
    return mod === undefined || mod === null ? null : mod;
  }

  G.__btpHost = {
    boot: function (cfgJson, wasmModule, seed, snapshot, lock, stdlib, snapshotLayout) {
      var cfg = JSON.parse(cfgJson);
      P.seed(new Uint8Array(seed));
      P.setMainModule(wasmModule, cfg.wasmMaxPages, cfg.wasmBudgetPages);
      P.setFile('/pyodide/pyodide-lock.json', lock);
      P.setFile('/pyodide/python_stdlib.zip', stdlib);
      // The wheels themselves come with loadPackages, when a script first imports them.
      for (var i = 0; i < cfg.packageNames.length; i++) available[cfg.packageNames[i]] = true;
      pendingCount = cfg.packageNames.length;
      imports = cfg.importMap;
      var options = {
        indexURL: '/pyodide/',
        stdLibURL: '/pyodide/python_stdlib.zip',
        packageBaseUrl: '/pyodide/packages/',
        lockFileContents: read('/pyodide/pyodide-lock.json'),
        createPyodideModule: createModule,
        jsglobals: Object.create(null),
        env: { HOME: '/home/pyodide' },
        fullStdLib: false,
        checkAPIVersion: true,
      };
      if (cfg.makeSnapshot) { options._makeSnapshot = true; makeSnapshotAllowed = true; }
      if (snapshot) {
        options._loadSnapshot = new Uint8Array(snapshot);
        var layout = snapshotLayout ? new Uint32Array(snapshotLayout) : null; // then the snapshot is packed
        // Called by Pyodide's restoreSnapshot in place of its whole copy (the `restore-heap-hook` patch).
        options._btpRestoreHeap = function (Module, image) {
          var brk = typeof Module._sbrk === 'function' ? Module._sbrk(0) >>> 0 : 0; // 0: every page is written
          restoreSkipped = restoreHeap(Module.HEAP8.buffer, image, layout, brk, cfg.snapshotRestore);
        };
      }
      return loadPyodide(options).then(function (p) {
        py = p;
        // Memory per warm isolate: the snapshot (≈15 MB packed) is in Pyodide's heap now, but the loader's
        // config keeps its copy referenced for the life of the isolate; the stdlib zip was copied into
        // the in-memory file system, so the file map's copy is a duplicate. Drop both, so that the
        // isolate's next full GC frees them (an idle isolate does not collect: see docs/interpreters.md).
        options._loadSnapshot = undefined;
        options._btpRestoreHeap = undefined;
        var api = /** @type {{ config?: { _loadSnapshot?: unknown, _btpRestoreHeap?: unknown, lockFileContents?: unknown } }} */ (/** @type {any} */ (p)._api || {});
        if (api.config) { api.config._loadSnapshot = undefined; api.config._btpRestoreHeap = undefined; }
        P.dropFile('/pyodide/python_stdlib.zip');
        if (cfg.makeSnapshot) {
          py.runPython(cfg.warmImports);
          defineRunner(cfg.runner); // compiled once, into the snapshot
        } else {
          py.setStdout({ write: write, isatty: false });
          py.setStderr({ write: write, isatty: false });
          py.setStdin({ error: true });
          py.runPython(cfg.reseed);
          var runner = takeRunner();
          if (!runner) { defineRunner(cfg.runner); runner = takeRunner(); } // booted without a snapshot
          runner._btp_boot();
          // (attribute proxies are borrowed from the module's proxy, which therefore stays alive)
          run = runner._btp_run;
          imports = imports && Object.keys(imports).length ? imports : null;
          if (imports) findImports = runner._btp_imports;
        }
        return JSON.stringify({ version: py.version, heapBytes: P.heapBytes(), restoreSkippedBytes: restoreSkipped });
      });
    },

    run: function (code, inputsJson, limitsJson) {
      var limits = JSON.parse(limitsJson);
      if (imports && pendingCount > 0) {
        var need = [], names = JSON.parse(findImports(code));
        for (var i = 0; i < names.length; i++) {
          var pkg = imports[names[i]];
          if (pkg && available[pkg] && !loaded[pkg] && need.indexOf(pkg) < 0) need.push(pkg);
        }
        if (need.length) return JSON.stringify({ needPackages: need });
      }
      resetOutput(limits.maxOutputLines, limits.maxOutputChars);
      P.setHeapLimit(limits.heapLimitBytes);
      var r;
      try {
        r = run(code, inputsJson, limits.maxResultChars, limits.maxDepth);
      } catch (e) {
        r = JSON.stringify({ ok: false, kind: 'internal', message: describe(e), line: null, fatal: true });
      }
      finishOutput();
      return '{"r":' + r + ',"out":' + JSON.stringify(out.lines) + ',"truncated":' + out.truncated + ',"dropped":' + out.dropped + '}';
    },

    loadPackages: function (namesJson, fileNamesJson) {
      var names = JSON.parse(namesJson), fileNames = JSON.parse(fileNamesJson), errors = [];
      // in shell mode the loader asks for the lock's file_name as is
      for (var f = 0; f < fileNames.length; f++) P.setFile(fileNames[f], arguments[2 + f]);
      return py.loadPackage(names, {
        messageCallback: function () {},
        errorCallback: function (m) { errors.push(String(m).slice(0, 500)); },
        checkIntegrity: false,
      }).then(function () {
        for (var i = 0; i < names.length; i++) if (!loaded[names[i]]) { loaded[names[i]] = true; pendingCount--; }
        // unpacked into the in-memory file system: the wheel's bytes are no longer needed
        for (var d = 0; d < fileNames.length; d++) P.dropFile(fileNames[d]);
        return JSON.stringify({ errors: errors });
      }, function (e) {
        return JSON.stringify({ errors: errors.concat([describe(e)]) });
      });
    },

    makeSnapshot: function () {
      if (!makeSnapshotAllowed) throw new Error('sandbox: this isolate was not booted to make a snapshot');
      var snap = py.makeMemorySnapshot();
      return snap.buffer.slice(snap.byteOffset, snap.byteOffset + snap.byteLength);
    },

    runTimers: P.runTimers,
    drainConsole: function () { return JSON.stringify(P.drainConsole()); },
  };
})();
