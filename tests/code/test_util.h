// Shared helpers for the code verifier's integration tests: one verifier (real sandbox) per test
// binary, and small problem builders.
#ifndef RLVR_TESTS_CODE_TEST_UTIL_H_
#define RLVR_TESTS_CODE_TEST_UTIL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "verifiers/code/code_verifier.h"

namespace rlvr::code::testing {

inline CodeVerifier& SharedVerifier() {
  static CodeVerifier* v = [] {
    CodeVerifierOptions o;
    o.max_parallel_runs = 4;
    o.precompiled_headers = false;  // the PCH build costs ~10 CPU-s; pch_test.cc covers it
    auto made = CodeVerifier::Create(o);
    if (!made.ok()) {
      std::fprintf(stderr, "cannot create the code verifier: %s\n", std::string(made.status().message()).c_str());
      std::abort();
    }
    return made->release();
  }();
  return *v;
}

inline std::string Fence(const std::string& lang, const std::string& code) {
  return "Here is my solution.\n```" + lang + "\n" + code + "\n```\n";
}

inline v1::CodeProblem Stdio(const std::string& lang, std::vector<std::pair<std::string, std::string>> cases) {
  v1::CodeProblem p;
  p.set_language(lang);
  p.mutable_tests()->set_type("stdio");
  for (auto& [in, out] : cases) {
    v1::CodeTestCase* c = p.mutable_tests()->add_cases();
    c->set_input(in);
    c->set_output(out);
  }
  return p;
}

inline v1::CodeProblem Call(const std::string& fn, std::vector<std::pair<std::string, std::string>> cases) {
  v1::CodeProblem p;
  p.set_language("python");
  p.mutable_tests()->set_type("call");
  p.mutable_tests()->set_fn_name(fn);
  for (auto& [args, expected] : cases) {
    v1::CodeTestCase* c = p.mutable_tests()->add_cases();
    c->set_args_json(args);
    c->set_expected_json(expected);
  }
  return p;
}

inline v1::CodeProblem Assert(const std::string& code, const std::string& entry_point) {
  v1::CodeProblem p;
  p.set_language("python");
  p.mutable_tests()->set_type("assert");
  p.mutable_tests()->set_code(code);
  p.mutable_tests()->set_entry_point(entry_point);
  return p;
}

inline std::string Describe(const v1::Verdict& v) {
  std::string s = v1::Outcome_Name(v.outcome()) + " score=" + std::to_string(v.score()) +
                  " valid=" + (v.valid() ? "1" : "0") + " reason=" + v.reason();
  for (const v1::TestVerdict& t : v.tests()) {
    s += "\n  " + t.status() + " " + t.detail() + " | " + t.stderr_excerpt().substr(0, 300);
  }
  return s;
}

}  // namespace rlvr::code::testing

#endif  // RLVR_TESTS_CODE_TEST_UTIL_H_
