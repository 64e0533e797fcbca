// The code verifier: extracts the program from a response, runs it against the problem's tests
// inside the sandbox and scores it (fraction of tests passed, or 1/0 with scoring "all_passed").
//
//   ASSIGN_OR_RETURN(auto verifier, CodeVerifier::Create({}));
//   RETURN_IF_ERROR(verifier->Validate(problem));      // INVALID_ARGUMENT names field and value
//   v1::Verdict v = verifier->Verify(response, problem);
//
// Outcomes: CORRECT (every test passed, score 1), INCORRECT (score = fraction passed), NO_CODE (no
// program in the response: score 0, valid), INVALID_GOLD (the tests or the checker are broken:
// valid=false), ERROR (the sandbox failed: valid=false — never a disguised 0). tests_total is set
// on every verdict (the problem's cases; 1 for assert), tests_passed on every valid one.
#ifndef RLVR_VERIFIERS_CODE_CODE_VERIFIER_H_
#define RLVR_VERIFIERS_CODE_CODE_VERIFIER_H_

#include <cstdint>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/thread_pool.h"
#include "nlohmann/json.hpp"
#include "rlvr/v1/common.pb.h"
#include "sandbox/sandbox.h"
#include "verifiers/code/compile_cache.h"
#include "verifiers/code/extract.h"

namespace rlvr::code {

struct LanguageDef;

namespace v1 = ::rlvr::v1;

// The smallest memory limit a problem may ask for.
inline constexpr int64_t kMinMemoryMb = 16;
// The language of a JSON line that names none (the datasets are Python; veRL and OpenRLHF code
// rewards default to Python too).
inline constexpr char kDefaultCodeLanguage[] = "python";

struct CodeVerifierOptions {
  // The sandbox to run in (not owned; must outlive the verifier). Null: the verifier creates its
  // own with default options (warm Python on).
  sandbox::Sandbox* sandbox = nullptr;
  // Sandbox runs in flight at once over all Verify calls (the tests of one sample run in
  // parallel up to this). 0: the number of hardware threads.
  int max_parallel_runs = 0;
  // Limits when a problem leaves them unset, and the largest a problem may ask for.
  int64_t default_time_ms = 2000;
  int64_t default_memory_mb = 256;
  int64_t max_time_ms = 60000;
  int64_t max_memory_mb = 4096;
  // Compiled programs kept (artifacts + diagnostics), least recently used evicted first.
  size_t compile_cache_bytes = 256 << 20;
  // C++: build a precompiled <bits/stdc++.h> in the background at Create; compiles that include
  // it use it once it is ready.
  bool precompiled_headers = true;
  // How the program is found in the response; a problem's CodeExtract overrides field by field.
  ExtractOptions extract;
  // A checker program's limits per run (it runs once per case, after the program).
  int64_t checker_time_ms = 10000;
  int64_t checker_memory_mb = 512;
  // Input bounds (beyond them Validate answers INVALID_ARGUMENT).
  size_t max_cases = 10000;
  size_t max_case_bytes = 64 << 20;     // one input, output, args or expected
  size_t max_tests_bytes = 256 << 20;   // all of them together
};

class CodeVerifier {
 public:
  // Errors: what sandbox::Sandbox::Create answers when the verifier creates its own sandbox.
  static absl::StatusOr<std::unique_ptr<CodeVerifier>> Create(const CodeVerifierOptions& options);
  ~CodeVerifier();
  CodeVerifier(const CodeVerifier&) = delete;
  CodeVerifier& operator=(const CodeVerifier&) = delete;

  // OK, or INVALID_ARGUMENT naming the field and value (unknown language or test type, missing
  // fn_name, non-JSON args, empty cases, limits out of range, …). Cheap; does not run anything.
  absl::Status Validate(const v1::CodeProblem& problem) const;

  // Verifies one response. Thread-safe; blocks until its runs finish. A problem that fails
  // Validate gets INVALID_GOLD.
  v1::Verdict Verify(std::string_view response, const v1::CodeProblem& problem);

  int64_t compile_cache_hits() const { return cache_.hits(); }
  int64_t compile_cache_misses() const { return cache_.misses(); }
  // True once the C++ precompiled header is built and in use.
  bool precompiled_header_ready() const;

 private:
  explicit CodeVerifier(const CodeVerifierOptions& options);

  // The compile outcome of `source` in compiled language `lang` (cached per language and source).
  std::shared_ptr<const CompileOutcome> Compile(const LanguageDef& lang, const std::string& source);
  // Python: kCompileError with the interpreter's message when `source` does not compile (a
  // SyntaxError, IndentationError, TabError or null bytes), kOk when it does; cached per source.
  std::shared_ptr<const CompileOutcome> CheckPythonSyntax(const std::string& source);

  CodeVerifierOptions options_;
  std::unique_ptr<sandbox::Sandbox> owned_sandbox_;
  sandbox::Sandbox* sandbox_ = nullptr;
  std::unique_ptr<ThreadPool> pool_;
  CompileCache cache_;
  mutable absl::Mutex pch_mu_;
  std::shared_ptr<const std::string> pch_ ABSL_GUARDED_BY(pch_mu_);  // the built PCH, once ready
  // The Python harness compiled once at Create (a .pyc), so that no run compiles its ~500 lines;
  // empty when that failed (runs then get the source).
  std::string harness_pyc_;
  std::thread pch_builder_;
  std::atomic<bool> cancel_pch_{false};  // set by the destructor: stops the PCH build
};

// The problem of one `rlvr verify` JSONL line of kind "code":
//   {"language": "python", "tests": {"type": "stdio", "cases": [{"input": "...", "output": "..."}],
//    "float_tolerance": 1e-6, "compare": "tokens", "scoring": "fraction"},
//    "limits": {"time_ms": 2000, "memory_mb": 256}, "extract": {"block": "last"}}
// "language" defaults to "python" when absent (kDefaultCodeLanguage). stdio cases need "output"
// ("input" defaults to ""); "call" takes "fn_name" and cases of "args" (a JSON array) and
// "expected" (or "args_json" / "expected_json" as JSON text); "assert" takes "code" and
// "entry_point"; stdio may take "checker": {"language", "source"}. "extract" keys: block
// ("last" | "first"), untagged_fallback, whole_response, accept_unclosed (booleans). A line
// without "tests" may be a dataset row (see dataset_loaders.h). INVALID_ARGUMENT names the field:
// unknown keys in "tests", its cases, "limits", "checker" and "extract" are errors, as are keys
// the test type does not use, limits of 0 or below the minimum, and wrong types. Other top-level
// keys are ignored (dataset rows carry metadata). CodeVerifier::Validate checks the rest.
absl::StatusOr<v1::CodeProblem> CodeProblemFromJson(const nlohmann::json& line);

// The tests a problem counts (Verdict.tests_total): its cases, or 1 for an assert test.
int NumCodeTests(const v1::CodeProblem& problem);

}  // namespace rlvr::code

#endif  // RLVR_VERIFIERS_CODE_CODE_VERIFIER_H_
