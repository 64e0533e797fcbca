// The Python harness for call and assert tests: a fixed script (main.py) that runs the candidate
// (solution.py) and the tests in two processes and reports on a line that starts with a per-run
// nonce. Before it reads the request (nonce, test code, args) from stdin, the harness makes itself
// non-dumpable and forks the candidate's process, which therefore never holds the request; that
// process has /dev/null for stdin and stdout (its prints are discarded; its stderr is the run's),
// loads the candidate and serves calls over pipes. The harness runs check() / the plain asserts
// itself, against proxies for every candidate-defined name the test code references: arguments
// and results cross as plain values (exact types), so no object of the candidate's, no patched
// module and no frame of the candidate's is ever in the process that checks. Only the harness
// writes the report, after the last check: an early exit, a SystemExit, a killed harness or a
// print of "expected" output earns nothing. Call results are compared in the verifier process;
// expected values never enter the sandbox.
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
