#include "verifiers/code/python_harness.h"

#include <sys/random.h>

#include <cstdint>
#include <random>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace rlvr::code {
namespace {

// Everything the harness uses is bound before the candidate is loaded, so that monkeypatching
// builtins, json, os or sys from the candidate does not change what the harness does.
constexpr const char* kHarness = R"PY(
# rlvr harness. The main thread reads the request (nonce included) from stdin, then runs the
# candidate and the tests in a second thread, which never holds the nonce; only the main thread
# reports. An audit hook keeps the candidate from reaching the main thread's frames or memory
# (sys._current_frames, gc, ctypes, /proc/*/mem, exec of another program); signal handlers can
# only be installed from the main thread, which is harness code throughout.
import os as _os, sys as _sys, json as _json, types as _types, traceback as _tb
import builtins as _builtins, threading as _threading, math as _math
_write, _exit, _dup, _dup2, _open, _close = _os.write, _os._exit, _os.dup, _os.dup2, _os.open, _os.close
_type, _repr_int, _repr_float, _str, _len = type, int.__repr__, float.__repr__, str, len
_enc_str = _json.encoder.encode_basestring_ascii
_isfinite = _math.isfinite
_saved_builtins = dict(_builtins.__dict__)
_DENIED = frozenset(["sys._current_frames", "sys._current_exceptions", "gc.get_objects", "gc.get_referrers",
                     "gc.get_referents", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
                     "subprocess.Popen", "pty.spawn", "os.forkpty"])


def _audit(event, args):
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


def _plain(v, depth):
    # Exact types only: a subclass (or any other object) could define __eq__ to always be True.
    t = _type(v)
    if v is None or t is bool or t is int or t is float or t is str or t is complex or t is bytes:
        return True
    if depth > 100:
        return False
    if t is list or t is tuple or t is set or t is frozenset:
        for x in v:
            if not _plain(x, depth + 1):
                return False
        return True
    if t is dict:
        for k in v:
            if not _plain(k, depth + 1) or not _plain(v[k], depth + 1):
                return False
        return True
    return False


def _guard(fn):
    """The candidate as check() sees it: its results must be plain values."""
    def candidate(*args, **kwargs):
        result = fn(*args, **kwargs)
        if not _plain(result, 0):
            raise TypeError("the candidate returned a %s, not a plain value" % _type(result).__name__)
        return result
    candidate.__name__ = getattr(fn, "__name__", "candidate")
    candidate.__doc__ = getattr(fn, "__doc__", None)
    return candidate


def _encode(v, depth):
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


def _run(mode, code, test_code, entry, fn_name, args, box):
    """Candidate thread: everything here is reachable by the candidate, and holds no secret."""
    name = "__main__" if mode == "assert" else "solution"
    mod = _types.ModuleType(name)
    mod.__file__ = "solution.py"
    _sys.modules[name] = mod
    ns = mod.__dict__
    try:
        exec(code, ns)
        if mode == "assert":
            # Undo what the candidate's top level did to builtins before the tests see them.
            _builtins.__dict__.clear()
            _builtins.__dict__.update(_saved_builtins)
            ns["__builtins__"] = _builtins
            ns.pop("check", None)
            exec(test_code, ns)
            if entry and "check" in ns:
                ns["check"](_guard(ns[entry]))
            box.append(("done", ""))
        else:
            target = ns.get(fn_name)
            if target is None and _type(ns.get("Solution")) is type:
                target = getattr(ns["Solution"](), fn_name, None)
            if target is None:
                raise NameError("no function or Solution method named %r" % fn_name)
            result = target(*args)
            try:
                box.append(("result", _encode(result, 0)))
            except TypeError as e:
                box.append(("unserializable", _str(e)))
    except BaseException:  # SystemExit too: the thread must end with exactly one entry
        box.append(("error", _tb.format_exc()))


def _main():
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
    with open("solution.py", "rb") as f:
        src = f.read()
    test_code = None
    if mode == "assert":
        try:
            test_code = compile(req["test"], "tests.py", "exec")
        except (SyntaxError, ValueError) as e:
            report("invalid_test", _tb.format_exception_only(_type(e), e)[-1].strip())
            _exit(0)
    try:
        code = compile(src, "solution.py", "exec")
    except (SyntaxError, ValueError) as e:
        report("syntax_error", _tb.format_exception_only(_type(e), e)[-1].strip())
        _write(2, _tb.format_exc().encode("utf-8", "backslashreplace"))
        _exit(1)
    del src
    box = []
    _threading.stack_size(64 << 20)
    t = _threading.Thread(target=_run, daemon=True,
                          args=(mode, code, test_code, req.get("entry_point") or "", req.get("fn_name") or "",
                                req.get("args") or [], box))
    del req
    _sys.addaudithook(_audit)
    t.start()
    t.join()
    if _len(box) != 1 or _type(box[0]) is not tuple:
        _exit(0)  # tampered with: no report
    kind, value = box[0]
    if kind == "error":
        _write(2, value.encode("utf-8", "backslashreplace"))
        _exit(1)
    report(kind, value)
    _exit(0)


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
