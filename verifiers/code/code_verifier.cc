#include "verifiers/code/code_verifier.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "verifiers/code/compare.h"
#include "verifiers/code/language.h"
#include "verifiers/code/python_harness.h"

namespace rlvr::code {
namespace {

// Limits for a compiler run (a PCH build or a program compile): generous memory, processes and
// scratch for g++; the compiled artifact comes back on stdout.
sandbox::Limits CompilerLimits(int64_t cpu_ms, int64_t wall_ms, int64_t stdout_bytes) {
  sandbox::Limits limits;
  limits.cpu_ms = cpu_ms;
  limits.wall_ms = wall_ms;
  limits.memory_mb = 2048;
  limits.max_processes = 32;
  limits.file_size_mb = 512;
  limits.scratch_mb = 512;
  limits.open_files = 256;
  limits.stdout_bytes = stdout_bytes;
  limits.stderr_bytes = 64 << 10;
  return limits;
}

constexpr size_t kStderrExcerpt = 512;
constexpr size_t kExtractedChars = 4096;
constexpr size_t kDetailChars = 200;

// Runs a Python checker testlib-style with an exit status the verifier can trust: the checker's
// own exit (sys.exit) passes through, while an uncaught exception (which Python reports as exit 1,
// the wrong-answer code) becomes 3, a checker failure.
constexpr char kPythonCheckerMain[] = R"(import runpy, sys, traceback
sys.argv = ["checker.py"] + sys.argv[1:]
try:
    runpy.run_path("checker.py", run_name="__main__")
except SystemExit:
    raise
except BaseException:
    traceback.print_exc()
    sys.exit(3)
)";

// Compiles main.py without running it: prints "ok", or "syntax_error" with the interpreter's
// message on stderr.
constexpr char kPythonSyntaxCheck[] = R"(import sys, traceback
src = open("main.py", "rb").read()
try:
    compile(src, "main.py", "exec", dont_inherit=True)
except (SyntaxError, ValueError) as e:
    sys.stderr.write("".join(traceback.format_exception_only(type(e), e)))
    print("syntax_error")
else:
    print("ok")
)";

// The checker's file arguments (testlib order: input, contestant output, jury answer).
const std::vector<std::string> kCheckerArgs = {"input.txt", "output.txt", "answer.txt"};

// A Python run's stderr that may come from a source that does not compile (confirmed with
// CheckPythonSyntax before a runtime error is reported as a compile error).
bool MayBeSyntaxError(const std::string& stderr_excerpt) {
  for (const char* name : {"SyntaxError", "IndentationError", "TabError", "null bytes"}) {
    if (stderr_excerpt.find(name) != std::string::npos) return true;
  }
  return false;
}

enum class TestType { kStdio, kCall, kAssert };

absl::StatusOr<TestType> ParseTestType(const std::string& type) {
  if (type == "stdio") return TestType::kStdio;
  if (type == "call") return TestType::kCall;
  if (type == "assert") return TestType::kAssert;
  return absl::InvalidArgumentError(
      absl::StrCat("tests.type is \"", type, "\"; expected stdio, call or assert"));
}

bool IsIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 256 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// The tail of stderr (where tracebacks and diagnostics end), valid to cut mid-character.
std::string Excerpt(const std::string& s) {
  if (s.size() <= kStderrExcerpt) return s;
  return absl::StrCat("...", s.substr(s.size() - kStderrExcerpt));
}

std::string Truncate(std::string_view s, size_t n) {
  if (s.size() <= n) return std::string(s);
  return absl::StrCat(std::string(s.substr(0, n)), "...");
}

// Protobuf string fields must hold UTF-8; program output may not.
std::string Utf8Safe(std::string s) {
  size_t i = 0;
  std::string out;
  out.reserve(s.size());
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

const char* StatusName(sandbox::RunStatus s) {
  switch (s) {
    case sandbox::RunStatus::kOk: return "passed";
    case sandbox::RunStatus::kRuntimeError: return "runtime_error";
    case sandbox::RunStatus::kTimeLimit: return "time_limit";
    case sandbox::RunStatus::kMemoryLimit: return "memory_limit";
    case sandbox::RunStatus::kOutputLimit: return "output_limit";
    case sandbox::RunStatus::kCompileError: return "compile_error";
    case sandbox::RunStatus::kSandboxError: return "sandbox_error";
  }
  return "sandbox_error";
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What one case came to.
struct CaseResult {
  v1::TestVerdict verdict;
  bool passed = false;
  bool sandbox_error = false;
  bool invalid_test = false;    // the test code itself is broken
  bool checker_failed = false;  // the checker crashed, hit a limit or exited with neither 0, 1 nor 2
};

// The program to run for every case of one sample.
struct Program {
  const LanguageDef* lang = nullptr;
  TestType type = TestType::kStdio;
  std::vector<sandbox::File> files;
  std::string nonce;                 // harness runs
  std::string harness = "main.py";  // harness runs: the script (or main.pyc, precompiled)
  // The checker, when the problem has one: how it starts and its files (the case's input, the
  // program's output and the expected answer are added per run).
  bool has_checker = false;
  sandbox::Language checker_language = sandbox::Language::kExec;
  std::vector<std::string> checker_argv;
  std::vector<sandbox::File> checker_files;
};

v1::Verdict MakeVerdict(v1::Outcome outcome, bool valid, std::string reason) {
  v1::Verdict v;
  v.set_outcome(outcome);
  v.set_valid(valid);
  v.set_score(0);
  v.set_reason(Utf8Safe(std::move(reason)));
  return v;
}

// Every test compile_error with the diagnostics: score 0, valid.
v1::Verdict CompileErrorVerdict(int num_tests, const std::string& diagnostics) {
  v1::Verdict v = MakeVerdict(v1::OUTCOME_INCORRECT, true, "compile_error");
  for (int i = 0; i < num_tests; ++i) {
    v1::TestVerdict* t = v.add_tests();
    t->set_status("compile_error");
    t->set_stderr_excerpt(Utf8Safe(Excerpt(diagnostics)));
  }
  return v;
}

ExtractOptions MergeExtract(ExtractOptions o, const v1::CodeExtract& e) {
  if (e.block() == "first") o.take_last = false;
  if (e.block() == "last") o.take_last = true;
  if (e.has_untagged_fallback()) o.untagged_fallback = e.untagged_fallback();
  if (e.has_whole_response()) o.whole_response_fallback = e.whole_response();
  if (e.has_accept_unclosed()) o.accept_unclosed = e.accept_unclosed();
  return o;
}

// Judges one program output with the problem's checker.
void JudgeWithChecker(sandbox::Sandbox* sb, const Program& prog, const v1::CodeTestCase& c,
                      const std::string& output, const CodeVerifierOptions& opt, CaseResult* res) {
  v1::TestVerdict& tv = res->verdict;
  sandbox::RunSpec spec;
  spec.language = prog.checker_language;
  spec.argv = prog.checker_argv;
  spec.files = prog.checker_files;
  spec.files.push_back({kCheckerArgs[0], c.input(), false});
  spec.files.push_back({kCheckerArgs[1], output, false});
  spec.files.push_back({kCheckerArgs[2], c.output(), false});
  spec.limits.cpu_ms = opt.checker_time_ms;
  spec.limits.wall_ms = 3 * opt.checker_time_ms + 2000;
  spec.limits.memory_mb = opt.checker_memory_mb;
  spec.limits.stdout_bytes = 64 << 10;
  spec.limits.scratch_mb = 64;
  absl::StatusOr<sandbox::RunResult> run = sb->Run(spec);
  if (!run.ok() || run->status == sandbox::RunStatus::kSandboxError) {
    res->sandbox_error = true;
    tv.set_status("sandbox_error");
    tv.set_detail(Utf8Safe(absl::StrCat("checker: ", !run.ok() ? run.status().message() : run->sandbox_error)));
    return;
  }
  std::string message = absl::StrCat(run->stderr_data, run->stdout_data);
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
  if (run->status == sandbox::RunStatus::kOk) {
    res->passed = true;
    tv.set_status("passed");
    return;
  }
  if (run->status == sandbox::RunStatus::kRuntimeError && (run->exit_code == 1 || run->exit_code == 2)) {
    tv.set_status("wrong_answer");
    tv.set_detail(Utf8Safe(Truncate(message, kDetailChars)));
    return;
  }
  res->checker_failed = true;
  tv.set_status("wrong_answer");
  tv.set_detail(Utf8Safe(absl::StrCat(
      run->status == sandbox::RunStatus::kRuntimeError && run->exit_code >= 0
          ? absl::StrCat("exited with code ", run->exit_code)
          : std::string(StatusName(run->status)),
      message.empty() ? "" : ": ", Excerpt(message))));
}

int64_t Pick(int64_t case_value, int64_t problem_value, int64_t fallback) {
  if (case_value > 0) return case_value;
  if (problem_value > 0) return problem_value;
  return fallback;
}

// Runs case `i` (assert: the one run) of `prog` and judges it.
CaseResult RunCase(sandbox::Sandbox* sb, const Program& prog, const v1::CodeProblem& problem, int i,
                   const CompareOptions& cmp, const CodeVerifierOptions& opt) {
  CaseResult res;
  v1::TestVerdict& tv = res.verdict;
  const v1::CodeTests& tests = problem.tests();
  const v1::CodeTestCase* c = prog.type == TestType::kAssert ? nullptr : &tests.cases(i);
  const v1::RunLimits case_limits = c != nullptr ? c->limits() : v1::RunLimits();
  const int64_t time_ms = Pick(case_limits.time_ms(), problem.limits().time_ms(), opt.default_time_ms);
  const int64_t memory_mb = Pick(case_limits.memory_mb(), problem.limits().memory_mb(), opt.default_memory_mb);

  sandbox::RunSpec spec;
  const bool harness = prog.type != TestType::kStdio;
  if (harness) {
    spec.language = sandbox::Language::kPython;
    spec.argv = {prog.harness};
  } else {
    spec.language = prog.lang->compile_command.empty() ? prog.lang->sandbox_language : sandbox::Language::kExec;
    spec.argv = prog.lang->run_argv;
  }
  spec.files = prog.files;
  size_t expected_bytes = 0;
  switch (prog.type) {
    case TestType::kStdio:
      spec.stdin_data = c->input();
      expected_bytes = c->output().size();
      break;
    case TestType::kCall:
      spec.stdin_data = CallRequest(prog.nonce, tests.fn_name(), c->args_json());
      expected_bytes = c->expected_json().size();
      break;
    case TestType::kAssert:
      spec.stdin_data = AssertRequest(prog.nonce, tests.code(), tests.entry_point());
      break;
  }
  spec.limits.cpu_ms = time_ms;
  spec.limits.wall_ms = 3 * time_ms + 2000;  // CPU time is the limit; wall only catches sleepers
  spec.limits.memory_mb = memory_mb;
  spec.limits.stdout_bytes = std::max<int64_t>(1 << 20, 2 * static_cast<int64_t>(expected_bytes) + (64 << 10));
  spec.limits.scratch_mb = 64;

  absl::StatusOr<sandbox::RunResult> run = sb->Run(spec);
  if (!run.ok()) {
    res.sandbox_error = true;
    tv.set_status("sandbox_error");
    tv.set_detail(Utf8Safe(std::string(run.status().message())));
    return res;
  }
  const sandbox::RunResult& r = *run;
  tv.set_wall_ms(static_cast<uint32_t>(std::max<int64_t>(0, r.wall_ms)));
  tv.set_cpu_ms(static_cast<uint32_t>(std::max<int64_t>(0, r.cpu_ms)));
  tv.set_stderr_excerpt(Utf8Safe(Excerpt(r.stderr_data)));
  if (r.status == sandbox::RunStatus::kSandboxError) {
    res.sandbox_error = true;
    tv.set_status("sandbox_error");
    tv.set_detail(Utf8Safe(r.sandbox_error));
    return res;
  }
  HarnessReport report;
  if (harness) report = ParseHarnessOutput(r.stdout_data, prog.nonce);
  if (r.status != sandbox::RunStatus::kOk) {
    tv.set_status(StatusName(r.status));
    if (report.kind == HarnessReport::kSyntaxError) {
      tv.set_status("compile_error");
      tv.set_detail(Utf8Safe(Truncate(report.value, kDetailChars)));
    }
    return res;
  }
  if (!harness && prog.has_checker) {
    JudgeWithChecker(sb, prog, *c, r.stdout_data, opt, &res);
    return res;
  }
  if (!harness) {
    CompareResult cr = CompareOutput(c->output(), r.stdout_data, cmp);
    res.passed = cr.equal;
    tv.set_status(cr.equal ? "passed" : "wrong_answer");
    tv.set_detail(Utf8Safe(std::move(cr.detail)));
    return res;
  }
  switch (report.kind) {
    case HarnessReport::kInvalidTest:
      res.invalid_test = true;
      tv.set_status("wrong_answer");
      tv.set_detail(Utf8Safe(Truncate(report.value, kDetailChars)));
      return res;
    case HarnessReport::kDone:
      res.passed = prog.type == TestType::kAssert;
      break;
    case HarnessReport::kResult: {
      if (prog.type != TestType::kCall) break;
      nlohmann::json got = nlohmann::json::parse(report.value, nullptr, false);
      nlohmann::json expected = nlohmann::json::parse(c->expected_json(), nullptr, false);
      if (got.is_discarded()) {
        tv.set_detail("the harness's result does not parse");
        break;
      }
      CompareResult cr = CompareValues(expected, got, cmp);
      if (!cr.equal && tests.unwrap_expected_list() && expected.is_array() && expected.size() == 1) {
        cr = CompareValues(expected[0], got, cmp);
      }
      res.passed = cr.equal;
      tv.set_detail(Utf8Safe(std::move(cr.detail)));
      break;
    }
    case HarnessReport::kUnserializable:
      tv.set_detail(Utf8Safe(absl::StrCat("returned a non-plain ", Truncate(report.value, 100))));
      break;
    case HarnessReport::kSyntaxError:
    case HarnessReport::kMissing:
      tv.set_detail("the program ended before the harness reported (early exit)");
      break;
  }
  tv.set_status(res.passed ? "passed" : "wrong_answer");
  return res;
}

}  // namespace

namespace {

// Compiles the harness in the sandbox with the interpreter that will run it: the bytes of a .pyc
// (magic, 12 header bytes, the marshalled code), or "" if that fails.
std::string CompileHarness(sandbox::Sandbox& sandbox) {
  sandbox::RunSpec spec;
  spec.language = sandbox::Language::kPython;
  spec.files.push_back({"compile.py",
                        "import importlib.util, marshal, sys\n"
                        "code = compile(sys.stdin.buffer.read(), 'main.py', 'exec', dont_inherit=True)\n"
                        "sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))\n",
                        false});
  spec.argv = {"compile.py"};
  spec.stdin_data = PythonHarnessSource();
  absl::StatusOr<sandbox::RunResult> r = sandbox.Run(spec);
  if (!r.ok() || r->status != sandbox::RunStatus::kOk || r->stdout_data.size() <= 16) {
    std::fprintf(stderr, "code verifier: the Python harness was not precompiled (%s); runs compile it\n",
                 !r.ok() ? std::string(r.status().message()).c_str()
                         : Excerpt(r->sandbox_error + r->stderr_data).c_str());
    return "";
  }
  return std::move(r->stdout_data);
}

}  // namespace

int NumCodeTests(const v1::CodeProblem& problem) {
  return problem.tests().type() == "assert" ? 1 : problem.tests().cases_size();
}

CodeVerifier::CodeVerifier(const CodeVerifierOptions& options)
    : options_(options), cache_(options.compile_cache_bytes) {}

CodeVerifier::~CodeVerifier() {
  cancel_pch_.store(true);  // a one-shot `rlvr verify` need not wait ~10 s for an unused PCH
  if (pch_builder_.joinable()) pch_builder_.join();
  pool_.reset();  // runs finish before the sandbox goes
}

absl::StatusOr<std::unique_ptr<CodeVerifier>> CodeVerifier::Create(const CodeVerifierOptions& options) {
  std::unique_ptr<CodeVerifier> v(new CodeVerifier(options));
  if (options.sandbox != nullptr) {
    v->sandbox_ = options.sandbox;
  } else {
    ASSIGN_OR_RETURN(v->owned_sandbox_, sandbox::Sandbox::Create(sandbox::Options{}));
    v->sandbox_ = v->owned_sandbox_.get();
  }
  int threads = options.max_parallel_runs > 0 ? options.max_parallel_runs
                                              : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 2;
  v->pool_ = std::make_unique<ThreadPool>(threads, 4096);
  v->harness_pyc_ = CompileHarness(*v->sandbox_);
  if (options.precompiled_headers) {
    std::vector<const LanguageDef*> with_pch;
    for (const LanguageDef* l : Languages()) {
      if (l->pch.has_value()) with_pch.push_back(l);
    }
    if (!with_pch.empty()) {
      CodeVerifier* self = v.get();
      v->pch_builder_ = std::thread([self, with_pch] {
        // One PCH (C++) for now; a second compiled language with one would key pch_ by name.
        const LanguageDef::Pch& pch = *with_pch.front()->pch;
        sandbox::RunSpec spec;
        spec.language = sandbox::Language::kExec;
        spec.argv = {"sh", "-c", pch.build_command};
        spec.limits = CompilerLimits(/*cpu_ms=*/180000, /*wall_ms=*/600000,
                                     /*stdout_bytes=*/int64_t{512} << 20);
        spec.cancel = &self->cancel_pch_;
        absl::StatusOr<sandbox::RunResult> r = self->sandbox_->Run(spec);
        if (self->cancel_pch_.load()) return;
        if (!r.ok() || r->status != sandbox::RunStatus::kOk || r->stdout_data.empty()) {
          std::fprintf(stderr, "code verifier: precompiled header not built (%s); compiling without\n",
                       !r.ok() ? std::string(r.status().message()).c_str()
                               : Excerpt(r->sandbox_error + r->stderr_data).c_str());
          return;
        }
        auto data = std::make_shared<const std::string>(std::move(r->stdout_data));
        absl::MutexLock lock(&self->pch_mu_);
        self->pch_ = std::move(data);
      });
    }
  }
  return v;
}

bool CodeVerifier::precompiled_header_ready() const {
  absl::MutexLock lock(&pch_mu_);
  return pch_ != nullptr;
}

absl::Status CodeVerifier::Validate(const v1::CodeProblem& problem) const {
  const LanguageDef* lang = FindLanguage(problem.language());
  if (lang == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("language is \"", Truncate(problem.language(), 64),
                                                   "\"; supported: ", LanguageNames()));
  }
  const v1::CodeTests& tests = problem.tests();
  ASSIGN_OR_RETURN(TestType type, ParseTestType(tests.type()));
  if (type != TestType::kStdio && !lang->python_harness) {
    return absl::InvalidArgumentError(absl::StrCat("tests.type ", tests.type(), " is not supported for language ",
                                                   lang->name, " (stdio only)"));
  }
  RETURN_IF_ERROR(ParseCompareMode(tests.compare()).status());
  RETURN_IF_ERROR(ParseFloatMode(tests.float_mode()).status());
  if (!std::isfinite(tests.float_tolerance()) || tests.float_tolerance() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tests.float_tolerance is ", tests.float_tolerance(), "; must be finite and >= 0"));
  }
  auto check_limits = [&](const v1::RunLimits& l, const std::string& where) -> absl::Status {
    if (l.time_ms() > options_.max_time_ms) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".time_ms is ", l.time_ms(), "; limit is ", options_.max_time_ms));
    }
    if (l.memory_mb() > options_.max_memory_mb) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".memory_mb is ", l.memory_mb(), "; limit is ", options_.max_memory_mb));
    }
    if (l.memory_mb() != 0 && l.memory_mb() < kMinMemoryMb) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".memory_mb is ", l.memory_mb(), "; minimum is ", kMinMemoryMb));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(check_limits(problem.limits(), "limits"));
  if (!tests.scoring().empty() && tests.scoring() != "fraction" && tests.scoring() != "all_passed") {
    return absl::InvalidArgumentError(absl::StrCat("tests.scoring is \"", Truncate(tests.scoring(), 64),
                                                   "\"; expected fraction or all_passed"));
  }
  const std::string& block = problem.extract().block();
  if (!block.empty() && block != "last" && block != "first") {
    return absl::InvalidArgumentError(
        absl::StrCat("extract.block is \"", Truncate(block, 64), "\"; expected last or first"));
  }
  if (tests.has_checker()) {
    const v1::CodeChecker& checker = tests.checker();
    if (type != TestType::kStdio) {
      return absl::InvalidArgumentError(absl::StrCat("tests.checker is for type stdio, not ", tests.type()));
    }
    if (FindLanguage(checker.language()) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("tests.checker.language is \"", Truncate(checker.language(), 64),
                                                     "\"; supported: ", LanguageNames()));
    }
    if (checker.source().empty()) return absl::InvalidArgumentError("tests.checker.source is empty");
    if (checker.source().size() > options_.max_case_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("tests.checker.source is ", checker.source().size(),
                                                     " bytes; limit is ", options_.max_case_bytes));
    }
  }
  if (type == TestType::kAssert) {
    if (tests.code().empty()) return absl::InvalidArgumentError("tests.code is empty for type assert");
    if (tests.code().size() > options_.max_case_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("tests.code is ", tests.code().size(), " bytes; limit is ",
                                                     options_.max_case_bytes));
    }
    if (!tests.entry_point().empty() && !IsIdentifier(tests.entry_point())) {
      return absl::InvalidArgumentError(
          absl::StrCat("tests.entry_point \"", Truncate(tests.entry_point(), 64), "\" is not an identifier"));
    }
    return absl::OkStatus();
  }
  if (tests.cases().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("tests.cases is empty for type ", tests.type()));
  }
  if (static_cast<size_t>(tests.cases_size()) > options_.max_cases) {
    return absl::InvalidArgumentError(
        absl::StrCat("tests.cases has ", tests.cases_size(), " cases; limit is ", options_.max_cases));
  }
  if (type == TestType::kCall && !IsIdentifier(tests.fn_name())) {
    return absl::InvalidArgumentError(tests.fn_name().empty()
                                          ? std::string("tests.fn_name is missing for type call")
                                          : absl::StrCat("tests.fn_name \"", Truncate(tests.fn_name(), 64),
                                                         "\" is not an identifier"));
  }
  size_t total = 0;
  for (int i = 0; i < tests.cases_size(); ++i) {
    const v1::CodeTestCase& c = tests.cases(i);
    const std::string where = absl::StrCat("tests.cases[", i, "]");
    for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"input", &c.input()},
                                      {"output", &c.output()},
                                      {"args_json", &c.args_json()},
                                      {"expected_json", &c.expected_json()}}) {
      if (value->size() > options_.max_case_bytes) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".", name, " is ", value->size(), " bytes; limit is ",
                                                       options_.max_case_bytes));
      }
      total += value->size();
    }
    RETURN_IF_ERROR(check_limits(c.limits(), where + ".limits"));
    if (type == TestType::kCall) {
      nlohmann::json args = nlohmann::json::parse(c.args_json(), nullptr, /*allow_exceptions=*/false);
      if (args.is_discarded() || !args.is_array()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".args_json is not a JSON array: \"",
                                                       Truncate(c.args_json(), 64), "\""));
      }
      nlohmann::json expected = nlohmann::json::parse(c.expected_json(), nullptr, false);
      if (expected.is_discarded()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".expected_json is not JSON: \"",
                                                       Truncate(c.expected_json(), 64), "\""));
      }
    }
  }
  if (total > options_.max_tests_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("tests total ", total, " bytes; limit is ", options_.max_tests_bytes));
  }
  return absl::OkStatus();
}

v1::Verdict CodeVerifier::Verify(std::string_view response, const v1::CodeProblem& problem) {
  const int64_t start_us = NowUs();
  std::optional<std::string> code;
  v1::Verdict verdict = [&]() -> v1::Verdict {
    if (absl::Status s = Validate(problem); !s.ok()) {
      return MakeVerdict(v1::OUTCOME_INVALID_GOLD, false, absl::StrCat("invalid problem: ", s.message()));
    }
    const LanguageDef* lang = FindLanguage(problem.language());
    const v1::CodeTests& tests = problem.tests();
    const TestType type = *ParseTestType(tests.type());
    code = ExtractCode(response, lang->FenceTags(), MergeExtract(options_.extract, problem.extract()));
    if (!code.has_value()) {
      return MakeVerdict(v1::OUTCOME_NO_CODE, true, absl::StrCat("no ", lang->name, " code block in the response"));
    }
    const int num_cases = NumCodeTests(problem);
    Program prog;
    prog.lang = lang;
    prog.type = type;

    // The checker first: a broken one makes the problem invalid, whatever the program does.
    if (tests.has_checker()) {
      const LanguageDef* checker_lang = FindLanguage(tests.checker().language());
      const std::string& source = tests.checker().source();
      std::shared_ptr<const CompileOutcome> built =
          checker_lang->compile_command.empty()
              ? (checker_lang->sandbox_language == sandbox::Language::kPython ? CheckPythonSyntax(source) : nullptr)
              : Compile(*checker_lang, source);
      if (built != nullptr && built->kind == CompileOutcome::kSandboxError) {
        return MakeVerdict(v1::OUTCOME_ERROR, false,
                           absl::StrCat("sandbox_error while compiling the checker: ", built->diagnostics));
      }
      if (built != nullptr && built->kind == CompileOutcome::kCompileError) {
        return MakeVerdict(v1::OUTCOME_INVALID_GOLD, false,
                           absl::StrCat("the checker does not compile: ", Excerpt(built->diagnostics)));
      }
      prog.has_checker = true;
      if (!checker_lang->compile_command.empty()) {
        prog.checker_language = sandbox::Language::kExec;
        prog.checker_files.push_back({checker_lang->artifact_file, built->artifact, true});
        prog.checker_argv = checker_lang->run_argv;
      } else if (checker_lang->sandbox_language == sandbox::Language::kPython) {
        prog.checker_language = sandbox::Language::kPython;
        prog.checker_files.push_back({"main.py", kPythonCheckerMain, false});
        prog.checker_files.push_back({"checker.py", source, false});
        prog.checker_argv = {"main.py"};
      } else {
        prog.checker_language = checker_lang->sandbox_language;
        prog.checker_files.push_back({checker_lang->source_file, source, false});
        prog.checker_argv = checker_lang->run_argv;
      }
      prog.checker_argv.insert(prog.checker_argv.end(), kCheckerArgs.begin(), kCheckerArgs.end());
    }

    // Build the program: compile once (cached) for compiled languages; add the harness for
    // call/assert tests.
    if (!lang->compile_command.empty()) {
      std::shared_ptr<const CompileOutcome> compiled = Compile(*lang, *code);
      if (compiled->kind == CompileOutcome::kSandboxError) {
        return MakeVerdict(v1::OUTCOME_ERROR, false, absl::StrCat("sandbox_error while compiling: ",
                                                                  compiled->diagnostics));
      }
      if (compiled->kind == CompileOutcome::kCompileError) return CompileErrorVerdict(num_cases, compiled->diagnostics);
      prog.files.push_back({lang->artifact_file, compiled->artifact, true});
    } else if (type == TestType::kStdio) {
      prog.files.push_back({lang->source_file, *code, false});
    } else {
      if (harness_pyc_.empty()) {
        prog.files.push_back({"main.py", PythonHarnessSource(), false});
      } else {
        prog.files.push_back({"main.pyc", harness_pyc_, false});
        prog.harness = "main.pyc";
      }
      prog.files.push_back({"solution.py", *code, false});
      prog.nonce = NewNonce();
    }

    // Run the cases, in parallel up to the pool's size.
    CompareOptions cmp;
    cmp.mode = *ParseCompareMode(tests.compare());
    cmp.float_mode = *ParseFloatMode(tests.float_mode());
    cmp.float_tolerance = tests.float_tolerance();
    std::vector<CaseResult> results(num_cases);
    std::atomic<bool> stop{false};
    absl::Mutex mu;
    int pending = num_cases;
    auto run_case = [&](int i) {
      CaseResult& res = results[i];
      if (stop.load()) {
        res.verdict.set_status("skipped");
      } else {
        res = RunCase(sandbox_, prog, problem, i, cmp, options_);
        if (res.sandbox_error || res.invalid_test || (!res.passed && tests.early_stop())) stop.store(true);
      }
      absl::MutexLock lock(&mu);
      --pending;
    };
    for (int i = 0; i < num_cases; ++i) {
      if (!pool_->TrySubmit([&run_case, i] { run_case(i); }).ok()) run_case(i);
    }
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(+[](int* p) { return *p == 0; }, &pending));
    }

    // A Python program that does not compile fails every case the same way: report it as the
    // compile error it is (confirmed by compiling the source once, cached), like a C++ one.
    if (type == TestType::kStdio && lang->compile_command.empty() &&
        lang->sandbox_language == sandbox::Language::kPython) {
      const bool hint = std::any_of(results.begin(), results.end(), [](const CaseResult& r) {
        return r.verdict.status() == "runtime_error" && MayBeSyntaxError(r.verdict.stderr_excerpt());
      });
      if (hint) {
        std::shared_ptr<const CompileOutcome> syntax = CheckPythonSyntax(*code);
        if (syntax->kind == CompileOutcome::kCompileError) return CompileErrorVerdict(num_cases, syntax->diagnostics);
      }
    }

    v1::Verdict v;
    int passed = 0;
    std::string first_failure;
    for (int i = 0; i < num_cases; ++i) {
      const CaseResult& r = results[i];
      if (r.sandbox_error) {
        return MakeVerdict(v1::OUTCOME_ERROR, false,
                           absl::StrCat("sandbox_error in test ", i, ": ", r.verdict.detail()));
      }
      if (r.invalid_test) {
        return MakeVerdict(v1::OUTCOME_INVALID_GOLD, false,
                           absl::StrCat("the test code does not run: ", r.verdict.detail()));
      }
      if (r.checker_failed) {
        return MakeVerdict(v1::OUTCOME_INVALID_GOLD, false,
                           absl::StrCat("the checker failed on test ", i, ": ", r.verdict.detail()));
      }
      if (r.passed) {
        ++passed;
      } else if (first_failure.empty() && r.verdict.status() != "skipped") {
        first_failure = absl::StrCat("test ", i, ": ", r.verdict.status(),
                                     r.verdict.detail().empty() ? "" : " (", r.verdict.detail(),
                                     r.verdict.detail().empty() ? "" : ")");
      }
      *v.add_tests() = r.verdict;
    }
    v.set_valid(true);
    v.set_tests_passed(passed);
    v.set_tests_total(num_cases);
    v.set_score(tests.scoring() == "all_passed" ? (passed == num_cases ? 1.0 : 0.0)
                                                : static_cast<double>(passed) / num_cases);
    v.set_outcome(passed == num_cases ? v1::OUTCOME_CORRECT : v1::OUTCOME_INCORRECT);
    v.set_reason(Utf8Safe(passed == num_cases ? absl::StrCat("all ", num_cases, " tests passed")
                                              : absl::StrCat(passed, "/", num_cases, " tests passed; first failure: ",
                                                             Truncate(first_failure, 300))));
    return v;
  }();
  verdict.set_tests_total(NumCodeTests(problem));
  if (code.has_value()) verdict.set_extracted(Utf8Safe(Truncate(*code, kExtractedChars)));
  verdict.set_latency_us(static_cast<double>(NowUs() - start_us));
  return verdict;
}

std::shared_ptr<const CompileOutcome> CodeVerifier::Compile(const LanguageDef& lang, const std::string& source) {
  std::shared_ptr<const std::string> pch;
  if (lang.pch.has_value() && source.find(lang.pch->trigger) != std::string::npos) {
    absl::MutexLock lock(&pch_mu_);
    pch = pch_;
  }
  return cache_.GetOrCompile(absl::StrCat(lang.name, std::string(1, '\0'), source), [&] {
    sandbox::RunSpec spec;
    spec.language = sandbox::Language::kExec;
    spec.argv = {"sh", "-c", lang.compile_command};
    spec.files.push_back({lang.source_file, source, false});
    if (pch != nullptr) spec.files.push_back({lang.pch->path, *pch, false});
    spec.limits = CompilerLimits(/*cpu_ms=*/60000, /*wall_ms=*/180000, /*stdout_bytes=*/int64_t{256} << 20);
    CompileOutcome out;
    absl::StatusOr<sandbox::RunResult> r = sandbox_->Run(spec);
    if (!r.ok()) {
      out.kind = CompileOutcome::kSandboxError;
      out.diagnostics = std::string(r.status().message());
      return out;
    }
    out.wall_ms = r->wall_ms;
    out.cpu_ms = r->cpu_ms;
    if (r->status == sandbox::RunStatus::kSandboxError) {
      out.kind = CompileOutcome::kSandboxError;
      out.diagnostics = r->sandbox_error;
    } else if (r->status != sandbox::RunStatus::kOk || r->stdout_data.empty()) {
      out.kind = CompileOutcome::kCompileError;
      out.diagnostics = r->status == sandbox::RunStatus::kOk || r->status == sandbox::RunStatus::kRuntimeError
                            ? r->stderr_data
                            : absl::StrCat("compiler: ", sandbox::RunStatusName(r->status), "\n", r->stderr_data);
    } else {
      out.kind = CompileOutcome::kOk;
      out.artifact = std::move(r->stdout_data);
    }
    return out;
  });
}

std::shared_ptr<const CompileOutcome> CodeVerifier::CheckPythonSyntax(const std::string& source) {
  return cache_.GetOrCompile(absl::StrCat("python-syntax", std::string(1, '\0'), source), [&] {
    sandbox::RunSpec spec;
    spec.language = sandbox::Language::kPython;
    spec.argv = {"syntax_check.py"};
    spec.files.push_back({"syntax_check.py", kPythonSyntaxCheck, false});
    spec.files.push_back({"main.py", source, false});
    spec.limits = CompilerLimits(/*cpu_ms=*/10000, /*wall_ms=*/30000, /*stdout_bytes=*/4096);
    CompileOutcome out;
    absl::StatusOr<sandbox::RunResult> r = sandbox_->Run(spec);
    if (!r.ok() || r->status == sandbox::RunStatus::kSandboxError) {
      out.kind = CompileOutcome::kSandboxError;
      out.diagnostics = !r.ok() ? std::string(r.status().message()) : r->sandbox_error;
      return out;
    }
    out.wall_ms = r->wall_ms;
    out.cpu_ms = r->cpu_ms;
    // Anything but a clear "syntax_error" (say, the compiler itself ran out of memory) leaves the
    // source as compiling: the runs' own verdicts stand.
    const bool bad = r->status == sandbox::RunStatus::kOk && r->stdout_data.rfind("syntax_error", 0) == 0;
    out.kind = bad ? CompileOutcome::kCompileError : CompileOutcome::kOk;
    if (bad) out.diagnostics = r->stderr_data;
    return out;
  });
}

}  // namespace rlvr::code
