// The Python harness for call and assert tests: a fixed script (main.py) that loads the candidate
// (solution.py), runs one call or the assert tests, and reports on a line that starts with a
// per-run nonce. The nonce and the request arrive on stdin, which the harness consumes and
// replaces with /dev/null before any candidate code runs; the candidate's own stdout goes to
// /dev/null. So a line with the nonce proves the harness reached its end: an early exit, a
// SystemExit or a print of "expected" output earns nothing. Call results are serialized by the
// harness (plain types only, exact type checks, never the candidate's __eq__ / __repr__) and
// compared in the verifier process; expected values never enter the sandbox.
#ifndef RLVR_VERIFIERS_CODE_PYTHON_HARNESS_H_
#define RLVR_VERIFIERS_CODE_PYTHON_HARNESS_H_

#include <string>
#include <string_view>

namespace rlvr::code {

// The harness script (main.py). The candidate goes in solution.py beside it.
const std::string& PythonHarnessSource();

// The stdin of one harness run. `args_json` must be a JSON array (call); `test_code` and
// `entry_point` are for assert runs.
std::string CallRequest(std::string_view nonce, std::string_view fn_name, std::string_view args_json);
std::string AssertRequest(std::string_view nonce, std::string_view test_code, std::string_view entry_point);

// What the harness reported (from its stdout).
struct HarnessReport {
  enum Kind {
    kMissing,        // no line with the nonce: the program ended before the harness finished
    kResult,         // call: `value` holds the serialized return value (JSON)
    kDone,           // assert: every check ran
    kUnserializable, // call: the return value is not a plain value; `value` names its type
    kSyntaxError,    // the candidate does not compile; `value` has the message
    kInvalidTest,    // the test code itself does not compile; `value` has the message
  };
  Kind kind = kMissing;
  std::string value;
};

HarnessReport ParseHarnessOutput(std::string_view stdout_data, std::string_view nonce);

// A fresh random nonce (32 hex chars from the OS RNG).
std::string NewNonce();

}  // namespace rlvr::code

#endif  // RLVR_VERIFIERS_CODE_PYTHON_HARNESS_H_
