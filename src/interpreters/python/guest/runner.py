# Runs tenant scripts inside the Pyodide isolate. boot.js evaluates it as the module `_btp_runner`
# in the isolate that makes the memory snapshot, so every isolate restored from it has it compiled;
# each isolate then calls `_btp_boot()` once, after its streams are set up.
#
# Defines `_btp_run(code, inputs_json, max_chars, max_depth) -> str` and `_btp_imports(code) -> str`.
# The returned string is a JSON object: `{"ok":true,"value":…}` or
# `{"ok":false,"kind":…,"message":…,"line":…,"fatal":…}`.
#
# Per run: builtins, `sys.stdout`/`stderr`/`stdin` and the recursion limit are restored to their
# boot state (so one run cannot booby-trap the next), the script gets a fresh globals dict holding
# only the inputs, `result` is converted to JSON inside Python with strict checks, and errors are
# reported with the script's own line number (frames of `<script>`), never the runner's.

import builtins as _b, sys as _sys, json as _json, math as _math

_BTP_BUILTINS = None
_BTP_RECURSION = None
_BTP_STREAMS = None
_BTP_MAX_SAFE_INT = 2 ** 53 - 1
_BTP_COMPILED = {}

class _BtpNotJson(Exception):
    pass

def _btp_key(path, k):
    return path + '[' + repr(k)[:60] + ']'

def _btp_jsonable(v, path, depth, max_depth, active):
    t = type(v)
    if v is None or t is bool or t is str:
        return v
    if t is int or (isinstance(v, int) and not isinstance(v, bool)):
        v = int.__int__(v)
        if -_BTP_MAX_SAFE_INT <= v <= _BTP_MAX_SAFE_INT:
            return v
        raise _BtpNotJson(path + ' is an integer beyond +/-(2**53-1), which JSON numbers cannot hold exactly; convert it with str()')
    if t is float or isinstance(v, float):
        v = float.__float__(v)
        if _math.isfinite(v):
            return v
        raise _BtpNotJson(path + ' is ' + repr(v) + ', which JSON cannot represent')
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, (dict, list, tuple)):
        if depth >= max_depth:
            raise _BtpNotJson(path + ' is nested deeper than ' + str(max_depth) + ' levels')
        ident = id(v)
        if ident in active:
            raise _BtpNotJson(path + ' refers back to one of its containers (a cycle)')
        active.add(ident)
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if type(k) is not str and not isinstance(k, str):
                    raise _BtpNotJson(_btp_key(path, k) + ' has a key of type ' + type(k).__name__ + '; JSON keys must be strings (convert them with str())')
                out[str.__str__(k)] = _btp_jsonable(x, _btp_key(path, k), depth + 1, max_depth, active)
        else:
            out = [_btp_jsonable(x, path + '[' + str(i) + ']', depth + 1, max_depth, active) for i, x in enumerate(v)]
        active.discard(ident)
        return out
    raise _BtpNotJson(path + ' is a ' + type(v).__name__ + ', which is not JSON-safe (use None, bool, int, float, str, list, tuple or dict)')

def _btp_script_line(tb):
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == '<script>':
            line = tb.tb_lineno
        tb = tb.tb_next
    return line

def _btp_describe(e):
    try:
        text = str(e)
    except BaseException:
        text = '<unprintable>'
    name = type(e).__name__
    return (name + ': ' + text if text else name)[:2000]

def _btp_fail(kind, message, line=None, fatal=False):
    return _json.dumps({'ok': False, 'kind': kind, 'message': message, 'line': line, 'fatal': fatal})

def _btp_boot():
    # The state every run is reset to, taken in this isolate once it is set up (not in the snapshot's).
    global _BTP_BUILTINS, _BTP_RECURSION, _BTP_STREAMS
    _BTP_BUILTINS = dict(_b.__dict__)
    _BTP_RECURSION = _sys.getrecursionlimit()
    _BTP_STREAMS = (_sys.stdout, _sys.stderr, _sys.stdin)

def _btp_reset():
    d = _b.__dict__
    d.clear()
    d.update(_BTP_BUILTINS)
    _sys.stdout, _sys.stderr, _sys.stdin = _BTP_STREAMS
    _sys.setrecursionlimit(_BTP_RECURSION)

def _btp_flush():
    for s in _BTP_STREAMS[:2]:
        try:
            s.flush()
        except BaseException:
            pass

def _btp_compile(code):
    co = _BTP_COMPILED.get(code)
    if co is None:
        co = compile(code, '<script>', 'exec', dont_inherit=True)
        if len(_BTP_COMPILED) >= 32:
            _BTP_COMPILED.clear()
        _BTP_COMPILED[code] = co
    return co

def _btp_run(code, inputs_json, max_chars, max_depth):
    _btp_reset()
    try:
        co = _btp_compile(code)
    except SyntaxError as e:
        return _btp_fail('syntax', (type(e).__name__ + ': ' + str(e.msg))[:2000], e.lineno)
    except MemoryError:
        return _btp_fail('memory', 'MemoryError: the script is too large to compile', None, True)
    except BaseException as e:
        return _btp_fail('syntax', _btp_describe(e))
    g = _json.loads(inputs_json)
    g['__name__'] = '__main__'
    g['__builtins__'] = _b
    try:
        exec(co, g)
    except MemoryError as e:
        return _btp_fail('memory', 'MemoryError: the script ran out of memory', _btp_script_line(e.__traceback__), True)
    except RecursionError as e:
        return _btp_fail('memory', _btp_describe(e), _btp_script_line(e.__traceback__), True)
    except BaseException as e:
        return _btp_fail('runtime', _btp_describe(e), _btp_script_line(e.__traceback__))
    finally:
        _sys.stdout, _sys.stderr, _sys.stdin = _BTP_STREAMS
        _btp_flush()
    if 'result' not in g:
        return '{"ok":true,"value":null}'
    try:
        value = _btp_jsonable(g['result'], 'result', 0, max_depth, set())
        text = _json.dumps(value, ensure_ascii=True, separators=(',', ':'), allow_nan=False)
    except _BtpNotJson as e:
        return _btp_fail('result', str(e))
    except MemoryError:
        return _btp_fail('memory', 'MemoryError: the result is too large to convert', None, True)
    except RecursionError:
        return _btp_fail('result', 'result is nested too deeply to convert', None, True)
    except BaseException as e:
        return _btp_fail('result', 'result could not be converted to JSON: ' + _btp_describe(e))
    if len(text) > max_chars:
        return _btp_fail('result', 'result is ' + str(len(text)) + ' characters of JSON, more than the limit of ' + str(max_chars))
    return '{"ok":true,"value":' + text + '}'

def _btp_imports(code):
    from pyodide.code import find_imports
    try:
        return _json.dumps(find_imports(code))
    except BaseException:
        return '[]'
