// HumanEval through the assert harness: every canonical solution scores 1.0, and mutations of
// them (off by one, wrong constant, flipped comparison, early return, …) score below 1.0.
// The *Slow* tests cover all 164 problems (ctest label `slow`); the others a fast subset.
#include <fstream>
#include <cctype>

#include "tests/code/test_util.h"
#include "verifiers/code/dataset_loaders.h"

#ifndef RLVR_SHARED_DIR
#define RLVR_SHARED_DIR "../shared"
#endif

namespace rlvr::code {
namespace {

using testing::Describe;
using testing::SharedVerifier;

struct Row {
  std::string task_id, prompt, solution;
  v1::CodeProblem problem;
};

const std::vector<Row>& Rows() {
  static const std::vector<Row>* rows = [] {
    auto* out = new std::vector<Row>;
    std::ifstream in(std::string(RLVR_SHARED_DIR) + "/datasets/humaneval.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      nlohmann::json j = nlohmann::json::parse(line);
      absl::StatusOr<v1::CodeProblem> p = FromHumanEval(j);
      if (!p.ok()) continue;
      out->push_back({j["task_id"], j["prompt"], j["canonical_solution"], *p});
    }
    return out;
  }();
  return *rows;
}

std::string Response(const Row& r, const std::string& body) {
  return "Let me complete it.\n```python\n" + r.prompt + body + "\n```\n";
}

bool IdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The first whole-word occurrence of any of `words` (a digit run when `words` is empty).
std::pair<size_t, size_t> FindFirst(const std::string& s, const std::vector<std::string>& words) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && IdentChar(s[i - 1]) && (words.empty() || IdentChar(words[0][0]))) continue;
    if (words.empty()) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) continue;
      size_t e = i;
      while (e < s.size() && std::isdigit(static_cast<unsigned char>(s[e]))) ++e;
      if (e < s.size() && IdentChar(s[e])) continue;
      return {i, e - i};
    }
    for (const std::string& w : words) {
      if (s.compare(i, w.size(), w) != 0) continue;
      if (IdentChar(w[0]) && i + w.size() < s.size() && IdentChar(s[i + w.size()])) continue;
      return {i, w.size()};
    }
  }
  return {std::string::npos, 0};
}

// Mutants of a canonical body; each changes behaviour on at least some input.
std::vector<std::pair<std::string, std::string>> Mutants(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> out;
  auto replace_first = [&](const char* name, const std::vector<std::string>& words, const std::string& with) {
    auto [at, len] = FindFirst(body, words);
    if (at == std::string::npos) return;
    std::string m = body;
    m.replace(at, len, with.empty() ? "(" + body.substr(at, len) + " + 1)" : with);
    out.push_back({name, m});
  };
  // Early return: the body's first statement returns None.
  size_t indent = body.find_first_not_of(' ');
  if (indent != std::string::npos && indent > 0) {
    out.push_back({"early_return", std::string(indent, ' ') + "return None\n" + body});
  }
  replace_first("off_by_one", {}, "");
  replace_first("flipped_comparison", {"==", "<=", ">="}, "!=");
  replace_first("wrong_constant", {"True", "False"}, "None");
  replace_first("swapped_operator", {" + "}, " - ");
  return out;
}

struct Tally {
  int total = 0, killed = 0;
  std::vector<std::string> survivors;
};

void RunCanonical(size_t n) {
  ASSERT_GE(Rows().size(), n) << "humaneval.jsonl not found under " RLVR_SHARED_DIR "/datasets";
  for (size_t i = 0; i < n; ++i) {
    const Row& r = Rows()[i];
    v1::Verdict v = SharedVerifier().Verify(Response(r, r.solution), r.problem);
    EXPECT_EQ(v.score(), 1.0) << r.task_id << ": " << Describe(v);
    EXPECT_TRUE(v.valid()) << r.task_id;
  }
}

Tally RunMutants(size_t n) {
  Tally t;
  for (size_t i = 0; i < n && i < Rows().size(); ++i) {
    const Row& r = Rows()[i];
    for (const auto& [name, body] : Mutants(r.solution)) {
      v1::Verdict v = SharedVerifier().Verify(Response(r, body), r.problem);
      EXPECT_TRUE(v.valid()) << r.task_id << " " << name << ": " << Describe(v);
      ++t.total;
      if (v.score() < 1.0) {
        ++t.killed;
      } else {
        t.survivors.push_back(r.task_id + ":" + name);
        // Early return always changes behaviour: it must never pass.
        EXPECT_NE(name, "early_return") << r.task_id;
      }
    }
  }
  std::string s;
  for (const std::string& x : t.survivors) s += " " + x;
  std::printf("mutants: %d, scored below 1.0: %d; equivalent survivors:%s\n", t.total, t.killed, s.c_str());
  return t;
}

TEST(HumanEvalTest, CanonicalSubsetScoresOne) { RunCanonical(20); }

// HumanEval/32's check() calls the prompt's `poly`: a response that redefines poly to make any
// answer a root earns nothing, because the tests bring the dataset's own poly.
TEST(HumanEvalTest, RedefiningAPromptHelperEarnsNothing) {
  const Row* row = nullptr;
  for (const Row& r : Rows()) {
    if (r.task_id == "HumanEval/32") row = &r;
  }
  ASSERT_NE(row, nullptr) << "HumanEval/32 not found under " RLVR_SHARED_DIR "/datasets";
  const std::string hack =
      "```python\nimport math\n\ndef poly(xs: list, x: float):\n    return 0.0\n\n"
      "def find_zero(xs: list):\n    return 0.0\n```\n";
  v1::Verdict v = SharedVerifier().Verify(hack, row->problem);
  EXPECT_TRUE(v.valid()) << Describe(v);
  EXPECT_LT(v.score(), 1.0) << Describe(v);
  v1::Verdict honest = SharedVerifier().Verify(Response(*row, row->solution), row->problem);
  EXPECT_EQ(honest.score(), 1.0) << Describe(honest);
}

TEST(HumanEvalTest, MutantSubsetScoresBelowOne) {
  Tally t = RunMutants(20);
  EXPECT_GT(t.total, 30);
  EXPECT_GE(t.killed * 10, t.total * 9) << "fewer than 90% of mutants killed";
}

TEST(HumanEvalTest, SlowAllCanonicalScoreOne) { RunCanonical(164); }

TEST(HumanEvalTest, SlowAllMutants) {
  Tally t = RunMutants(164);
  EXPECT_GE(t.killed * 10, t.total * 9) << "fewer than 90% of mutants killed";
}

}  // namespace
}  // namespace rlvr::code
