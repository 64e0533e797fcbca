// Agreement with HF Math-Verify's own labelled pairs (shared/datasets/math_verify_pairs.jsonl).
// Every disagreement is printed and must be explained in DISAGREEMENTS.md (a table row starting
// "| <row index> |"); agreement must stay at or above 97%.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "verifiers/math/extract.h"
#include "verifiers/math/math_verifier.h"

namespace rlvr::math {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(MathDataset, AgreesWithMathVerifyLabels) {
  std::ifstream in(RLVR_MATH_PAIRS_PATH);
  ASSERT_TRUE(in.good()) << "cannot read " << RLVR_MATH_PAIRS_PATH;
  const std::string listed = ReadFile(RLVR_MATH_DISAGREEMENTS_PATH);
  ASSERT_FALSE(listed.empty()) << "cannot read " << RLVR_MATH_DISAGREEMENTS_PATH;

  int rows = 0;
  int agree = 0;
  std::vector<int> unlisted;
  std::string line;
  for (int index = 0; std::getline(in, line); ++index) {
    if (line.empty()) continue;
    const nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(row.is_discarded()) << "row " << index << " is not JSON";
    MathVerifyOptions options;
    if (row.contains("options")) {
      const nlohmann::json& o = row["options"];
      if (o.contains("precision")) options.compare.precision = o["precision"].get<int>();
      if (o.contains("strict")) options.compare.strict = o["strict"].get<bool>();
      if (o.contains("allow_set_relation_comp")) {
        options.compare.allow_set_relation_comp = o["allow_set_relation_comp"].get<bool>();
      }
    }
    const std::string gold = row["gold"].get<std::string>();
    const std::string pred = row["pred"].get<std::string>();
    const bool expected = row["expected"].get<bool>();
    const MathVerdict v = VerifyMath(pred, gold, options);
    ++rows;
    const bool got = v.outcome == Outcome::kCorrect;
    if (got == expected) {
      ++agree;
      continue;
    }
    std::printf("DISAGREE row %d: expected %s, got %s\n  gold: %.160s\n  pred: %.160s\n"
                "  extracted: %.120s\n  reason: %.200s\n",
                index, expected ? "equal" : "different", std::string(OutcomeName(v.outcome)).c_str(),
                gold.c_str(), pred.size() > 160 ? ("..." + pred.substr(pred.size() - 157)).c_str()
                                                : pred.c_str(),
                v.extracted.c_str(), v.reason.c_str());
    if (listed.find("| " + std::to_string(index) + " |") == std::string::npos) {
      unlisted.push_back(index);
    }
  }
  const double rate = rows == 0 ? 0.0 : 100.0 * agree / rows;
  std::printf("agreement: %d / %d = %.2f%%\n", agree, rows, rate);
  EXPECT_EQ(rows, 269);
  EXPECT_GE(rate, 97.0);
  for (int index : unlisted) {
    ADD_FAILURE() << "row " << index << " disagrees and is not listed in DISAGREEMENTS.md";
  }
}

// The verifier extracts in widening stages (the first candidate alone, the first rule's candidates,
// everything) and relies on each list being a prefix of the next; the first stage takes shortcuts
// (the unanchored rule looks for one candidate only, anchor searches are skipped when a text cannot
// hold the anchor). Checked on every gold and answer of the dataset.
TEST(MathDataset, ExtractionStagesArePrefixesOfEachOther) {
  std::ifstream in(RLVR_MATH_PAIRS_PATH);
  ASSERT_TRUE(in.good()) << "cannot read " << RLVR_MATH_PAIRS_PATH;
  ExtractOptions one, rule, all;
  one.stop_at_first_rule = rule.stop_at_first_rule = true;
  one.max_candidates = 1;
  int texts = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(row.is_discarded());
    for (const char* field : {"gold", "pred"}) {
      const std::string text = row[field].get<std::string>();
      const auto a = ExtractCandidates(text, one), b = ExtractCandidates(text, rule),
                 c = ExtractCandidates(text, all);
      ASSERT_TRUE(a.ok() && b.ok() && c.ok());
      ++texts;
      ASSERT_LE(a->size(), b->size()) << text;
      ASSERT_LE(b->size(), c->size()) << text;
      for (size_t i = 0; i < a->size(); ++i) EXPECT_EQ((*a)[i].text, (*b)[i].text) << text;
      for (size_t i = 0; i < b->size(); ++i) EXPECT_EQ((*b)[i].text, (*c)[i].text) << text;
      // A stage finds nothing only when the wider ones find nothing either.
      EXPECT_EQ(a->empty(), c->empty()) << text;
    }
  }
  EXPECT_EQ(texts, 2 * 269);
}

}  // namespace
}  // namespace rlvr::math
