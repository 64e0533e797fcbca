#include "verifiers/code/python_harness.h"

#include <sys/random.h>

#include <cstdint>
#include <random>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace rlvr::code {
namespace {

// The harness runs the candidate in a second process that it forks before it reads the request,
// and runs the tests itself against proxies; see the comment at the top of the script.
constexpr const char* kHarness = R"PY(
# rlvr harness (main.py): two processes. Before it reads the request (nonce, test code, args)
# from stdin, the harness makes itself non-dumpable and forks the candidate's process, which so
# never holds any of it. That process points stdin and stdout at /dev/null (its prints are
# discarded; its stderr is the run's), loads solution.py and serves calls over a pair of pipes.
# The harness keeps the nonce, runs check() / the plain asserts itself against proxies, and
# alone writes the report line, after the last check. Across the pipes go plain values only
# (exact types, never the candidate's __eq__ / __repr__), decoded by the harness's own json; no
# object of the candidate's ever exists here. Non-dumpable, the harness's /proc/<pid>/mem, fd/
# and environ are closed to the candidate (same uid, no CAP_SYS_PTRACE); seccomp denies ptrace
# and process_vm_*; SIGINT is ignored and other signals only end the run (no report).
import os as _os, sys as _sys, json as _json, types as _types, traceback as _tb, signal as _signal
import builtins as _builtins, threading as _threading, math as _math, linecache as _linecache
import importlib as _importlib
_write, _read, _exit, _dup, _dup2 = _os.write, _os.read, _os._exit, _os.dup, _os.dup2
_open, _close = _os.open, _os.close
_type, _repr_int, _repr_float, _str, _len, _hex = type, int.__repr__, float.__repr__, str, len, hex
_enc_str = _json.encoder.encode_basestring_ascii
_dumps = _json.JSONEncoder(ensure_ascii=True, allow_nan=False, check_circular=False, separators=(",", ":")).encode
_loads = _json.loads
_isfinite = _math.isfinite
_BIG = 1 << 62
_MAX_MESSAGE = 1 << 30
_DENIED = frozenset(["sys._current_frames", "sys._current_exceptions", "gc.get_objects", "gc.get_referrers",
                     "gc.get_referents", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
                     "subprocess.Popen", "pty.spawn", "os.forkpty"])


def _audit(event, args):
    # In the candidate's process, as a second wall only: the kernel (non-dumpable harness,
    # seccomp) is what keeps the candidate out of the harness.
    if event in _DENIED:
        raise RuntimeError(event + " is not available under the verifier's harness")
    if event == "import" and args and args[0] in ("ctypes", "_ctypes"):
        raise ImportError("ctypes is not available under the verifier's harness")
    if event == "open" and args:
        path = args[0]
        if _type(path) is bytes:
            path = path.decode("utf-8", "replace")
        if _type(path) is _str and path.startswith("/proc/") and ("mem" in path or "environ" in path):
            raise PermissionError(path + " is not available under the verifier's harness")


def _encode(v, depth):
    # The call report for the verifier (JSON; exact types only).
    if depth > 100:
        raise TypeError("nested deeper than 100")
    t = _type(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return _repr_int(v)
    if t is float:
        if not _isfinite(v):
            return '"%s"' % _repr_float(v)
        return _repr_float(v)
    if t is str:
        return _enc_str(v)
    if t is list or t is tuple:
        return "[" + ",".join([_encode(x, depth + 1) for x in v]) + "]"
    if t is dict:
        items = []
        for k in v:
            kt = _type(k)
            if kt is str:
                key = k
            elif kt is int or kt is bool or k is None:
                key = _encode(k, depth + 1)
            else:
                raise TypeError("dict key of type " + kt.__name__)
            items.append(_enc_str(key) + ":" + _encode(v[k], depth + 1))
        return "{" + ",".join(items) + "}"
    raise TypeError("value of type " + t.__name__)


def _wire(v, depth):
    """v as a JSON value that keeps its exact plain type; TypeError for anything else."""
    if depth > 100:
        raise TypeError("nested deeper than 100")
    t = _type(v)
    if v is None or t is bool or t is _str:
        return v
    if t is int:
        return v if -_BIG < v < _BIG else {"i": _hex(v)}
    if t is float:
        return v if _isfinite(v) else {"f": _repr_float(v)}
    if t is list:
        return [_wire(x, depth + 1) for x in v]
    if t is tuple:
        return {"t": [_wire(x, depth + 1) for x in v]}
    if t is dict:
        return {"d": [[_wire(k, depth + 1), _wire(x, depth + 1)] for k, x in v.items()]}
    if t is set:
        return {"s": [_wire(x, depth + 1) for x in v]}
    if t is frozenset:
        return {"fs": [_wire(x, depth + 1) for x in v]}
    if t is bytes:
        return {"b": v.hex()}
    if t is complex:
        return {"c": [_wire(v.real, depth + 1), _wire(v.imag, depth + 1)]}
    raise TypeError("value of type " + t.__name__)


def _unwire(x, depth):
    """The inverse of _wire, for JSON from _loads; ValueError/TypeError on anything else."""
    if depth > 101:
        raise ValueError("nested deeper than 100")
    t = _type(x)
    if x is None or t is bool or t is int or t is float or t is _str:
        return x
    if t is list:
        return [_unwire(e, depth + 1) for e in x]
    if t is dict and _len(x) == 1:
        for tag in x:
            body = x[tag]
        bt = _type(body)
        if tag == "i" and bt is _str:
            return int(body, 16)
        if tag == "f" and bt is _str and body in ("inf", "-inf", "nan"):
            return float(body)
        if tag == "b" and bt is _str:
            return bytes.fromhex(body)
        if bt is list:
            items = [_unwire(e, depth + 1) for e in body]
            if tag == "t":
                return tuple(items)
            if tag == "s":
                return set(items)
            if tag == "fs":
                return frozenset(items)
            if tag == "c" and _len(items) == 2 and _type(items[0]) is float and _type(items[1]) is float:
                return complex(items[0], items[1])
            if tag == "d":
                out = {}
                for pair in items:
                    if _type(pair) is not list or _len(pair) != 2:
                        raise ValueError("malformed dict")
                    out[pair[0]] = pair[1]
                return out
    raise ValueError("malformed value")


class _Broken(BaseException):
    """The other process ended or broke the protocol. A BaseException, so that a test's
    `except Exception` does not swallow it; the harness never reports after one."""


class _Channel:
    """Length-prefixed JSON messages over a pair of pipes."""

    def __init__(self, rfd, wfd):
        self.rfd, self.wfd, self.broken = rfd, wfd, False

    def fail(self, why):
        self.broken = True
        raise _Broken(why)

    def send(self, msg):
        if self.broken:
            raise _Broken("the candidate's process is gone")
        data = _dumps(msg).encode("ascii")
        view = memoryview(_len(data).to_bytes(8, "little") + data)
        try:
            while _len(view):
                view = view[_write(self.wfd, view):]
        except OSError as e:
            self.fail("the candidate's process is gone (%s)" % e.strerror)

    def _exactly(self, n):
        chunks = []
        while n > 0:
            try:
                b = _read(self.rfd, min(n, 1 << 20))
            except OSError:
                b = b""
            if not b:
                self.fail("the candidate's process ended")
            chunks.append(b)
            n -= _len(b)
        return b"".join(chunks)

    def recv(self):
        if self.broken:
            raise _Broken("the candidate's process is gone")
        n = int.from_bytes(self._exactly(8), "little")
        if n > _MAX_MESSAGE:
            self.fail("a message of %d bytes from the candidate's process" % n)
        data = self._exactly(n)
        try:
            msg = _loads(data)
        except Exception:
            self.fail("a malformed message from the candidate's process")
        if _type(msg) is not list or not msg or _type(msg[0]) is not _str:
            self.fail("a malformed message from the candidate's process")
        return msg


# ----- the candidate's process -----------------------------------------------------------------

def _describe(v):
    """How the harness may see one global of the candidate's module."""
    t = _type(v)
    if t is _types.ModuleType:
        name = v.__name__
        return ["module", name if _type(name) is _str else ""]
    try:
        return ["value", _wire(v, 0)]
    except TypeError:
        pass
    if callable(v):
        return ["call"]
    return ["other", t.__name__]


def _call(ns, mode, msg):
    try:
        args = _unwire(msg[2], 0)
        kwargs = _unwire(msg[3], 0)
        name = msg[1]
        target = ns.get(name)
        if target is None and mode == "call" and _type(ns.get("Solution")) is type:
            target = getattr(ns["Solution"](), name, None)
        if target is None:
            raise NameError("no function or Solution method named %r" % name)
        result = target(*args, **kwargs)
    except BaseException as e:  # SystemExit too: the harness turns it into a failure
        try:
            text = _str(e)
        except BaseException:
            text = ""
        return ["raise", _type(e).__name__, text, _tb.format_exc()]
    try:
        return ["ok", _wire(result, 0)]
    except TypeError as e:
        return ["unplain", _str(e)]


def _serve(chan):
    try:
        mode = chan.recv()[1]
        try:
            with open("solution.py", "rb") as f:
                src = f.read()
            code = compile(src, "solution.py", "exec")
        except (SyntaxError, ValueError) as e:
            chan.send(["syntax_error", _tb.format_exception_only(_type(e), e)[-1].strip(), _tb.format_exc()])
            return
        del src
        for m in ("ctypes", "_ctypes"):
            _sys.modules.pop(m, None)
        _sys.addaudithook(_audit)
        name = "__main__" if mode == "assert" else "solution"
        mod = _types.ModuleType(name)
        mod.__file__ = "solution.py"
        _sys.modules[name] = mod
        ns = mod.__dict__
        try:
            exec(code, ns)
        except BaseException:
            chan.send(["error", _tb.format_exc()])
            return
        chan.send(["ready"])
        while True:
            msg = chan.recv()
            if msg[0] == "names":
                chan.send(["names", {n: _describe(ns[n]) for n in msg[1] if n in ns}])
            elif msg[0] == "call":
                chan.send(_call(ns, mode, msg))
            else:
                return
    except _Broken:
        return


def _candidate_process(rfd, wfd):
    null = _open(_os.devnull, _os.O_RDWR)
    _dup2(null, 0)
    _dup2(null, 1)
    _close(null)
    keep = (0, 1, 2, rfd, wfd)
    for fd in range(3, max(keep) + 1):
        if fd not in keep:
            try:
                _close(fd)
            except OSError:
                pass
    _os.closerange(max(keep) + 1, 1 << 16)
    _signal.signal(_signal.SIGINT, _signal.default_int_handler)
    _threading.stack_size(64 << 20)
    t = _threading.Thread(target=_serve, args=(_Channel(rfd, wfd),), daemon=True)
    t.start()
    t.join()
    _exit(0)


# ----- the harness's process -------------------------------------------------------------------

def _make_undumpable():
    import _ctypes
    prctl = _ctypes.dlsym(_ctypes.dlopen(None, _os.RTLD_NOW), "prctl")
    _ctypes.call_function(prctl, (4, 0, 0, 0, 0))  # PR_SET_DUMPABLE, SUID_DUMP_DISABLE
    return _ctypes.call_function(prctl, (3, 0, 0, 0, 0)) == 0  # PR_GET_DUMPABLE


def _referenced(code):
    """Every global name the code (and the functions and classes in it) may look up."""
    names = set(code.co_names)
    for c in code.co_consts:
        if _type(c) is _types.CodeType:
            names |= _referenced(c)
    return names


def _trusted_path(p):
    # Imports in this process come only from directories the candidate cannot write.
    if _type(p) is not _str or not p.startswith("/"):
        return False
    p = _os.path.normpath(p)
    for w in ("/work", "/tmp", "/var/tmp", "/dev/shm", _os.getcwd()):
        if w != "/" and (p == w or p.startswith(w + "/")):
            return False
    return True


_NO_IMPORT = frozenset(["__main__", "antigravity", "this", "__hello__", "__phello__"])


def _real_module(name):
    """Our own copy of a module the candidate imported (never the candidate's object)."""
    if _type(name) is not _str or not name or not all(p.isidentifier() for p in name.split(".")):
        return None
    if name.split(".")[0] in _NO_IMPORT:
        return None
    try:
        return _importlib.import_module(name)
    except Exception:
        return None


_RAISABLE = frozenset(n for n, v in _builtins.__dict__.items()
                      if _type(v) is type and issubclass(v, Exception)
                      and not issubclass(v, (StopIteration, StopAsyncIteration)))


def _proxy(chan, name):
    """A candidate's callable as the tests see it: plain values in, plain values out."""
    def candidate(*args, **kwargs):
        try:
            msg = ["call", name, _wire(list(args), 0), _wire(kwargs, 0)]
        except TypeError as e:
            raise TypeError("an argument that is not a plain value (%s) cannot reach the candidate" % e) from None
        chan.send(msg)
        r = chan.recv()
        if r[0] == "ok" and _len(r) == 2:
            try:
                return _unwire(r[1], 0)
            except Exception:
                pass
        elif r[0] == "unplain" and _len(r) == 2:
            raise TypeError("the candidate returned a %s, not a plain value" % _clean(r[1], 100))
        elif r[0] == "raise" and _len(r) == 4:
            raise _rebuilt(r[1], r[2], r[3])
        chan.fail("a malformed reply from the candidate's process")
    candidate.__name__ = candidate.__qualname__ = name
    return candidate


def _rebuilt(kind, text, trace):
    """The candidate's exception as a fresh builtin one (RuntimeError for any other kind)."""
    e = None
    if kind in _RAISABLE:
        try:
            e = getattr(_builtins, kind)(_clean(text, 1000))
        except Exception:
            e = None
    if e is None:
        e = RuntimeError("the candidate raised " + _clean(kind, 100) + ": " + _clean(text, 1000))
    e.add_note("in the candidate's process:\n" + _clean(trace, 4000, True))
    return e


def _clean(s, limit, lines=False):
    if _type(s) is not _str:
        return "?"
    s = s[-limit:] if lines else s[:limit]
    return s if lines else s.replace("\n", " ").replace("\r", " ")


def _main():
    if not _make_undumpable():
        _write(2, b"harness: cannot make itself non-dumpable\n")
        _exit(1)
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    c2p_r, c2p_w = _os.pipe()
    p2c_r, p2c_w = _os.pipe()
    pid = _os.fork()
    if pid == 0:
        _close(c2p_r)
        _close(p2c_w)
        _candidate_process(p2c_r, c2p_w)
    _close(c2p_w)
    _close(p2c_r)
    chan = _Channel(c2p_r, p2c_w)

    req = _json.loads(_sys.stdin.buffer.read())
    null = _open(_os.devnull, _os.O_RDWR)
    _dup2(null, 0)
    out = _dup(1)
    _dup2(null, 1)
    _close(null)
    nonce = req["nonce"]

    def report(kind, value=""):
        _write(out, ("%s %s %s\n" % (nonce, kind, value)).encode("utf-8", "backslashreplace"))

    mode = req["mode"]
    test_code = None
    if mode == "assert":
        try:
            test_code = compile(req["test"], "tests.py", "exec")
        except (SyntaxError, ValueError) as e:
            report("invalid_test", _tb.format_exception_only(_type(e), e)[-1].strip())
            _exit(0)
    try:
        chan.send(["load", mode])
        first = chan.recv()
        if first[0] == "syntax_error" and _len(first) == 3:
            report("syntax_error", _clean(first[1], 1000))
            _write(2, _clean(first[2], 1 << 16, True).encode("utf-8", "backslashreplace"))
            _exit(1)
        if first[0] == "error" and _len(first) == 2:
            _write(2, _clean(first[1], 1 << 16, True).encode("utf-8", "backslashreplace"))
            _exit(1)
        if first[0] != "ready":
            chan.fail("a malformed message from the candidate's process")
        if mode == "assert":
            _run_tests(chan, test_code, req["test"], req.get("entry_point") or "")
            if chan.broken:
                _exit(1)
            report("done")
            _exit(0)
        chan.send(["call", req.get("fn_name") or "", _wire(req.get("args") or [], 0), {"d": []}])
        r = chan.recv()
        if r[0] == "ok" and _len(r) == 2:
            try:
                value = _unwire(r[1], 0)
            except Exception:
                chan.fail("a malformed reply from the candidate's process")
            try:
                encoded = _encode(value, 0)
            except TypeError as e:
                report("unserializable", _str(e))
                _exit(0)
            report("result", encoded)
            _exit(0)
        if r[0] == "unplain" and _len(r) == 2:
            report("unserializable", _clean(r[1], 100))
            _exit(0)
        if r[0] == "raise" and _len(r) == 4:
            _write(2, _clean(r[3], 1 << 16, True).encode("utf-8", "backslashreplace"))
            _exit(1)
        chan.fail("a malformed reply from the candidate's process")
    except BaseException:
        try:
            _sys.stderr.write(_tb.format_exc())
            _sys.stderr.flush()
        finally:
            _exit(1)


def _run_tests(chan, code, text, entry):
    """Runs the test code (and check(candidate)) here, against proxies for the candidate."""
    _sys.path[:] = [p for p in _sys.path if _trusted_path(p)]
    _sys.path_importer_cache.clear()
    _linecache.cache["tests.py"] = (_len(text), None, text.splitlines(True), "tests.py")
    wanted = sorted(n for n in _referenced(code) | ({entry} if entry else set())
                    if n != "check" and not (n.startswith("__") and n.endswith("__"))
                    and (n == entry or not hasattr(_builtins, n)))
    chan.send(["names", wanted])
    r = chan.recv()
    if r[0] != "names" or _len(r) != 2 or _type(r[1]) is not dict:
        chan.fail("a malformed reply from the candidate's process")
    g = {"__name__": "__main__", "__builtins__": _builtins}
    proxies = {}
    for name in wanted:
        d = r[1].get(name)
        if _type(d) is not list or not d:
            continue  # not defined by the candidate (or unusable): a NameError if the tests use it
        if d[0] == "call":
            proxies[name] = g[name] = _proxy(chan, name)
        elif d[0] == "value" and _len(d) == 2:
            try:
                g[name] = _unwire(d[1], 0)
            except Exception:
                chan.fail("a malformed reply from the candidate's process")
        elif d[0] == "module" and _len(d) == 2:
            m = _real_module(d[1])
            if m is not None:
                g[name] = m
    exec(code, g)
    if entry and "check" in g:
        if entry not in proxies:
            raise NameError("the program defines no function named %r" % entry)
        g["check"](proxies[entry])


_main()
)PY";

}  // namespace

const std::string& PythonHarnessSource() {
  static const std::string* src = new std::string(kHarness);
  return *src;
}

std::string CallRequest(std::string_view nonce, std::string_view fn_name, std::string_view args_json) {
  // args_json was validated as a JSON array; it is spliced in as is.
  nlohmann::json head = {{"nonce", std::string(nonce)}, {"mode", "call"}, {"fn_name", std::string(fn_name)}};
  std::string s = head.dump();
  s.pop_back();  // '}'
  absl::StrAppend(&s, ",\"args\":", std::string(args_json), "}");
  return s;
}

std::string AssertRequest(std::string_view nonce, std::string_view test_code, std::string_view entry_point) {
  nlohmann::json req = {{"nonce", std::string(nonce)},
                        {"mode", "assert"},
                        {"test", std::string(test_code)},
                        {"entry_point", std::string(entry_point)}};
  return req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HarnessReport ParseHarnessOutput(std::string_view stdout_data, std::string_view nonce) {
  HarnessReport r;
  const std::string key = absl::StrCat(std::string(nonce), " ");
  size_t at = stdout_data.find(key);
  if (at == std::string_view::npos) return r;
  std::string_view rest = stdout_data.substr(at + key.size());
  size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) return r;  // cut off: not a complete report
  rest = rest.substr(0, nl);
  size_t sp = rest.find(' ');
  std::string_view kind = rest.substr(0, sp);
  std::string value = sp == std::string_view::npos ? "" : std::string(rest.substr(sp + 1));
  if (kind == "result") {
    r.kind = HarnessReport::kResult;
  } else if (kind == "done") {
    r.kind = HarnessReport::kDone;
  } else if (kind == "unserializable") {
    r.kind = HarnessReport::kUnserializable;
  } else if (kind == "syntax_error") {
    r.kind = HarnessReport::kSyntaxError;
  } else if (kind == "invalid_test") {
    r.kind = HarnessReport::kInvalidTest;
  } else {
    return r;
  }
  r.value = std::move(value);
  return r;
}

std::string NewNonce() {
  uint8_t bytes[16];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace rlvr::code
