// The code verifier: extracts the program from a response, runs it against the problem's tests
// inside the sandbox and scores it (fraction of tests passed).
//
//   ASSIGN_OR_RETURN(auto verifier, CodeVerifier::Create({}));
//   RETURN_IF_ERROR(verifier->Validate(problem));      // INVALID_ARGUMENT names field and value
//   v1::Verdict v = verifier->Verify(response, problem);
//
// Outcomes: CORRECT (every test passed, score 1), INCORRECT (score = fraction passed), NO_CODE (no
// program in the response: score 0, valid), INVALID_GOLD (the tests themselves are broken:
// valid=false), ERROR (the sandbox failed: valid=false — never a disguised 0).
#ifndef RLVR_VERIFIERS_CODE_CODE_VERIFIER_H_
#define RLVR_VERIFIERS_CODE_CODE_VERIFIER_H_

#include <cstdint>
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

namespace v1 = ::rlvr::v1;

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
  // How the program is found in the response.
  ExtractOptions extract;
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

  CodeVerifierOptions options_;
  std::unique_ptr<sandbox::Sandbox> owned_sandbox_;
  sandbox::Sandbox* sandbox_ = nullptr;
  std::unique_ptr<ThreadPool> pool_;
  CompileCache cache_;
  mutable absl::Mutex pch_mu_;
  std::shared_ptr<const std::string> pch_ ABSL_GUARDED_BY(pch_mu_);  // the built PCH, once ready
  std::thread pch_builder_;
};

// The problem of one `rlvr verify` JSONL line of kind "code":
//   {"language": "python", "tests": {"type": "stdio", "cases": [{"input": "...", "output": "..."}],
//    "float_tolerance": 1e-6, "compare": "tokens"}, "limits": {"time_ms": 2000, "memory_mb": 256}}
// "call" takes "fn_name" and cases of "args" (a JSON array) and "expected"; "assert" takes "code"
// and "entry_point". A line without "tests" may be a dataset row (see dataset_loaders.h).
// INVALID_ARGUMENT names the field. Only the shape is checked here; CodeVerifier::Validate
// checks the rest.
absl::StatusOr<v1::CodeProblem> CodeProblemFromJson(const nlohmann::json& line);

}  // namespace rlvr::code

#endif  // RLVR_VERIFIERS_CODE_CODE_VERIFIER_H_
