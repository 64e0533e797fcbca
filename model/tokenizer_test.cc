#include "model/tokenizer.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/fixtures.h"
#include "model/internal/byte_level.h"
#include "model/internal/split_pattern.h"
#include "nlohmann/json.hpp"

namespace rlvr::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// A hand-made tokenizer.json: the 256 byte tokens (id = byte value), then `extra` tokens
// (byte-level spelled, ids from 256 in order), `merges` as "left right" lines, the Llama 3 split +
// ByteLevel.
Json TinyJson(const std::vector<std::string>& extra, const std::vector<std::string>& merges,
              bool ignore_merges = false) {
  Json vocab = Json::object();
  for (int b = 0; b < 256; ++b)
    vocab[internal::ToByteLevel(std::string(1, static_cast<char>(b)))] = b;
  int next = 256;
  for (const std::string& token : extra) vocab[token] = next++;
  Json pre = {{"type", "Sequence"},
              {"pretokenizers", Json::array({{{"type", "Split"},
                                              {"pattern", {{"Regex", internal::kLlama3SplitRegex}}},
                                              {"behavior", "Isolated"},
                                              {"invert", false}},
                                             {{"type", "ByteLevel"},
                                              {"add_prefix_space", false},
                                              {"trim_offsets", true},
                                              {"use_regex", false}}})}};
  return {{"version", "1.0"},
          {"added_tokens", Json::array()},
          {"normalizer", nullptr},
          {"pre_tokenizer", pre},
          {"post_processor", nullptr},
          {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"byte_fallback", false},
            {"ignore_merges", ignore_merges},
            {"vocab", vocab},
            {"merges", merges}}}};
}

std::unique_ptr<Tokenizer> MustLoad(const std::string& json) {
  auto tokenizer = Tokenizer::FromJson(json);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  return tokenizer.ok() ? *std::move(tokenizer) : nullptr;
}

std::unique_ptr<Tokenizer> MustLoad(const Json& json) { return MustLoad(json.dump()); }

std::vector<int32_t> Bytes(std::string_view text) {
  std::vector<int32_t> ids;
  for (const char c : text) ids.push_back(static_cast<uint8_t>(c));
  return ids;
}

const Tokenizer& Fixture() {
  static const Tokenizer* const tokenizer = MustLoad(TestTokenizerJson()).release();
  return *tokenizer;
}

// Pieces of `text` as the tokenizer's tokens, by their bytes.
std::vector<std::string> TokenStrings(const Tokenizer& tokenizer, std::string_view text) {
  std::vector<std::string> out;
  for (const int32_t id : tokenizer.Encode(text)) out.push_back(tokenizer.TokenBytes(id));
  return out;
}

TEST(TokenizerTest, WithoutMergesEveryByteIsItsToken) {
  auto tokenizer = MustLoad(TinyJson({}, {}));
  ASSERT_NE(tokenizer, nullptr);
  EXPECT_EQ(tokenizer->vocab_size(), 256);
  EXPECT_EQ(tokenizer->Encode("Hi there\n"), Bytes("Hi there\n"));
  EXPECT_EQ(tokenizer->Encode("\xff\x00\xe4\xb8"), Bytes("\xff\x00\xe4\xb8"));
  EXPECT_TRUE(tokenizer->Encode("").empty());
}

TEST(TokenizerTest, MergesApplyInRankOrder) {
  // "hell": pairs (h,e) rank 2, (e,l) rank 1, (l,l) rank 0.
  auto low_ll = MustLoad(TinyJson({"he", "el", "ll"}, {"l l", "e l", "h e"}));
  ASSERT_NE(low_ll, nullptr);
  EXPECT_THAT(low_ll->Encode("hell"), ElementsAre(256, 258));  // l l, then h e
  auto low_el = MustLoad(TinyJson({"he", "el", "ll"}, {"e l", "l l", "h e"}));
  ASSERT_NE(low_el, nullptr);
  EXPECT_THAT(low_el->Encode("hell"), ElementsAre('h', 257, 'l'));  // e l blocks the others
  // Equal pairs merge leftmost first; merges build on merges.
  EXPECT_THAT(low_ll->Encode("lll"), ElementsAre(258, 'l'));
  auto chain = MustLoad(TinyJson({"he", "ll", "hell", "hello", "Ġhello"},
                                 {"h e", "l l", "he ll", "hell o", "Ġ hello"}));
  ASSERT_NE(chain, nullptr);
  EXPECT_THAT(chain->Encode("hello hello hellx"), ElementsAre(259, 260, ' ', 258, 'x'));
  // Merges never cross pre-token boundaries ("o" and " " are in different pieces).
  EXPECT_THAT(chain->Encode("hello\nhello"), ElementsAre(259, '\n', 259));
}

TEST(TokenizerTest, BothMergeFormatsAgree) {
  Json lines = TinyJson({"he", "ll", "hell"}, {"l l", "h e", "he ll"});
  Json pairs = lines;
  pairs["model"]["merges"] = Json::array({{"l", "l"}, {"h", "e"}, {"he", "ll"}});
  auto a = MustLoad(lines);
  auto b = MustLoad(pairs);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  for (const char* text : {"hell", "hello", "shell", "ll he"}) {
    EXPECT_EQ(a->Encode(text), b->Encode(text)) << text;
  }
  EXPECT_THAT(b->Encode("hell"), ElementsAre(258));
}

TEST(TokenizerTest, IgnoreMergesEmitsWholePiecesInTheVocab) {
  // "hello" is in the vocabulary but no merge reaches it.
  const std::vector<std::string> extra = {"he", "hello"};
  auto plain = MustLoad(TinyJson(extra, {"h e"}, /*ignore_merges=*/false));
  auto ignore = MustLoad(TinyJson(extra, {"h e"}, /*ignore_merges=*/true));
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(ignore, nullptr);
  EXPECT_THAT(plain->Encode("hello"), ElementsAre(256, 'l', 'l', 'o'));
  EXPECT_THAT(ignore->Encode("hello"), ElementsAre(257));
  EXPECT_THAT(ignore->Encode("hellos"), ElementsAre(256, 'l', 'l', 'o', 's'));
}

TEST(TokenizerTest, AddedTokensAreMatchedVerbatimLongestFirst) {
  Json json = TinyJson({}, {});
  json["added_tokens"] =
      Json::array({{{"id", 300}, {"content", "<|a|>"}, {"special", true}, {"normalized", false}},
                   {{"id", 301}, {"content", "<|a|>b"}, {"special", true}, {"normalized", false}},
                   {{"id", 302}, {"content", "<|l|>"}, {"lstrip", true}, {"normalized", false}},
                   {{"id", 303}, {"content", "<|r|>"}, {"rstrip", true}, {"normalized", true}},
                   {{"id", 304}, {"content", "ww"}, {"single_word", true}, {"normalized", true}}});
  auto tokenizer = MustLoad(json);
  ASSERT_NE(tokenizer, nullptr);
  EXPECT_EQ(tokenizer->vocab_size(), 305);
  EXPECT_THAT(tokenizer->Encode("x<|a|>y"), ElementsAre('x', 300, 'y'));
  EXPECT_THAT(tokenizer->Encode("<|a|>b<|a|>"), ElementsAre(301, 300));
  EXPECT_THAT(tokenizer->Encode("<|a|<|a|>"), ElementsAre('<', '|', 'a', '|', 300));
  EXPECT_EQ(tokenizer->Decode(tokenizer->Encode("x <|a|>\n<|a|>b")), "x <|a|>\n<|a|>b");
  // lstrip / rstrip swallow the adjacent whitespace (it then decodes as nothing, as in HF).
  EXPECT_THAT(tokenizer->Encode("x  <|l|> y"), ElementsAre('x', 302, ' ', 'y'));
  EXPECT_THAT(tokenizer->Encode("x <|r|> \ny"), ElementsAre('x', ' ', 303, 'y'));
  // single_word: only between non-word characters.
  EXPECT_THAT(tokenizer->Encode("ww ww."), ElementsAre(304, ' ', 304, '.'));
  EXPECT_THAT(tokenizer->Encode("aww"), ElementsAre('a', 'w', 'w'));
  EXPECT_EQ(tokenizer->TokenId("<|a|>b"), 301);
  EXPECT_EQ(tokenizer->TokenBytes(300), "<|a|>");
}

TEST(TokenizerTest, SplitBehaviorsMatchHuggingFace) {
  // HF's documented example: splitting "the-final--countdown" on "-".
  struct Case {
    const char* behavior;
    bool invert;
    std::vector<std::string> pieces;
  };
  const std::vector<Case> cases = {
      {"Removed", false, {"the", "final", "countdown"}},
      {"Isolated", false, {"the", "-", "final", "-", "-", "countdown"}},
      {"MergedWithPrevious", false, {"the-", "final-", "-", "countdown"}},
      {"MergedWithNext", false, {"the", "-final", "-", "-countdown"}},
      {"Contiguous", false, {"the", "-", "final", "--", "countdown"}},
      {"MergedWithPrevious", true, {"the", "-final", "-", "-countdown"}}};
  const std::vector<std::string> words = {"the",    "final",  "countdown", "the-",
                                          "final-", "-final", "--",        "-countdown"};
  for (const Case& c : cases) {
    Json json = TinyJson(words, {}, /*ignore_merges=*/true);
    json["pre_tokenizer"]["pretokenizers"][0] = {{"type", "Split"},
                                                 {"pattern", {{"String", "-"}}},
                                                 {"behavior", c.behavior},
                                                 {"invert", c.invert}};
    auto tokenizer = MustLoad(json);
    ASSERT_NE(tokenizer, nullptr);
    EXPECT_EQ(TokenStrings(*tokenizer, "the-final--countdown"), c.pieces) << c.behavior;
  }
}

TEST(TokenizerTest, Gpt2StyleByteLevelPreTokenizer) {
  Json json = TinyJson({"Ġhi", "hi"}, {"h i", "Ġ hi"});
  json["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  auto gpt2 = MustLoad(json);
  ASSERT_NE(gpt2, nullptr);
  EXPECT_THAT(gpt2->Encode("hi hi  hi"), ElementsAre(257, 256, ' ', 256));
  json["pre_tokenizer"]["add_prefix_space"] = true;
  auto prefixed = MustLoad(json);
  ASSERT_NE(prefixed, nullptr);
  EXPECT_THAT(prefixed->Encode("hi"), ElementsAre(256));  // as HF: " hi"
  EXPECT_THAT(prefixed->Encode(" hi"), ElementsAre(256));
}

TEST(TokenizerTest, AcceptsNfcNormalizerAndPostProcessorWithoutAddingBos) {
  Json json = TinyJson({}, {});
  json["normalizer"] = {{"type", "NFC"}};
  json["added_tokens"] = Json::array(
      {{{"id", 256}, {"content", "<|begin_of_text|>"}, {"special", true}, {"normalized", false}}});
  json["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", Json::array({{{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}},
                              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})}};
  auto tokenizer = MustLoad(json);
  ASSERT_NE(tokenizer, nullptr);
  EXPECT_EQ(tokenizer->Encode("ab"), Bytes("ab"));
  // Identity normalizer: a decomposed é stays decomposed.
  EXPECT_EQ(tokenizer->Decode(tokenizer->Encode("e\u0301")), "e\u0301");
}

TEST(TokenizerTest, RejectsBadInputWithTheValueNamed) {
  struct Case {
    std::string name;
    std::string json;
    std::string message;
  };
  std::vector<Case> cases;
  const auto with = [](auto edit) {
    Json json = TinyJson({"ab"}, {"a b"});
    edit(json);
    return json.dump();
  };
  cases.push_back({"not json", "{\"model\": ", "not valid JSON"});
  cases.push_back({"array", "[1, 2]", "expected an object"});
  cases.push_back({"no model", with([](Json& j) { j.erase("model"); }), "has no \"model\""});
  cases.push_back({"unigram", with([](Json& j) { j["model"]["type"] = "Unigram"; }),
                   "model.type is \"Unigram\"; only \"BPE\""});
  cases.push_back(
      {"wordpiece", with([](Json& j) { j["model"]["type"] = "WordPiece"; }), "\"WordPiece\""});
  cases.push_back({"byte fallback", with([](Json& j) { j["model"]["byte_fallback"] = true; }),
                   "byte_fallback is true"});
  cases.push_back(
      {"dropout", with([](Json& j) { j["model"]["dropout"] = 0.1; }), "model.dropout is 0.1"});
  cases.push_back({"unknown merge token",
                   with([](Json& j) { j["model"]["merges"].push_back("a zz"); }),
                   "model.merges[1] \"a zz\" needs \"zz\", which is not in model.vocab"});
  cases.push_back({"merged token missing",
                   with([](Json& j) { j["model"]["merges"].push_back("b a"); }), "needs \"ba\""});
  cases.push_back({"bad merge line", with([](Json& j) { j["model"]["merges"].push_back("a"); }),
                   "model.merges[1] is \"a\""});
  cases.push_back({"bad merge pair",
                   with([](Json& j) { j["model"]["merges"].push_back(Json::array({"a"})); }),
                   "model.merges[1] is [\"a\"]"});
  cases.push_back({"duplicate id", with([](Json& j) { j["model"]["vocab"]["xy"] = 256; }),
                   "gives id 256 to both"});
  cases.push_back({"negative id", with([](Json& j) { j["model"]["vocab"]["xy"] = -3; }),
                   "model.vocab[\"xy\"] is -3"});
  cases.push_back({"huge id", with([](Json& j) { j["model"]["vocab"]["xy"] = 1LL << 40; }),
                   "is 1099511627776; ids must lie in"});
  cases.push_back({"string id", with([](Json& j) { j["model"]["vocab"]["xy"] = "7"; }),
                   "model.vocab[\"xy\"] is \"7\""});
  cases.push_back({"missing byte", with([](Json& j) { j["model"]["vocab"].erase("Ġ"); }),
                   "no token for byte 0x20 (\"Ġ\")"});
  cases.push_back({"no vocab", with([](Json& j) { j["model"].erase("vocab"); }), "model.vocab"});
  cases.push_back({"bad regex", with([](Json& j) {
                     j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(?<=x)y";
                   }),
                   "pre_tokenizer.pretokenizers[0].pattern: split regex \"(?<=x)y\""});
  cases.push_back({"unbalanced regex", with([](Json& j) {
                     j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(ab";
                   }),
                   "RE2 cannot compile"});
  cases.push_back({"bad behavior", with([](Json& j) {
                     j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Sideways";
                   }),
                   "behavior is \"Sideways\""});
  cases.push_back({"metaspace", with([](Json& j) {
                     j["pre_tokenizer"] = {{"type", "Metaspace"}};
                   }),
                   "pre_tokenizer.type is \"Metaspace\""});
  cases.push_back({"no byte level",
                   with([](Json& j) { j["pre_tokenizer"]["pretokenizers"].erase(1); }),
                   "no ByteLevel step"});
  cases.push_back({"nfkc", with([](Json& j) {
                     j["normalizer"] = {{"type", "NFKC"}};
                   }),
                   "normalizer.type is \"NFKC\""});
  cases.push_back({"decoder", with([](Json& j) {
                     j["decoder"] = {{"type", "WordPiece"}};
                   }),
                   "decoder.type is \"WordPiece\""});
  cases.push_back({"added id clash", with([](Json& j) {
                     j["added_tokens"] = Json::array({{{"id", 97}, {"content", "<s>"}}});
                   }),
                   "added_tokens[0] \"<s>\" has id 97, which already names another token"});
  cases.push_back({"added content clash", with([](Json& j) {
                     j["added_tokens"] = Json::array({{{"id", 300}, {"content", "ab"}}});
                   }),
                   "\"ab\" has id 300 but model.vocab gives it 256"});
  cases.push_back({"added no content", with([](Json& j) {
                     j["added_tokens"] = Json::array({{{"id", 300}}});
                   }),
                   "added_tokens[0].content"});
  for (const Case& c : cases) {
    auto tokenizer = Tokenizer::FromJson(c.json);
    ASSERT_FALSE(tokenizer.ok()) << c.name;
    EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(tokenizer.status().message(), HasSubstr(c.message)) << c.name;
  }
}

TEST(TokenizerTest, LoadReadsAFileAndNamesAMissingOne) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("tokenizer_test_" + std::to_string(getpid()) + ".json"))
                               .string();
  {
    std::ofstream file(path);
    file << TinyJson({"he"}, {"h e"}).dump();
  }
  auto tokenizer = Tokenizer::Load(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_THAT((*tokenizer)->Encode("hex"), ElementsAre(256, 'x'));
  auto missing = Tokenizer::Load(path);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(path));
}

TEST(TokenizerTest, TokenLookups) {
  auto tokenizer = MustLoad(TinyJson({"Ġthe", "Ġt", "he"}, {"Ġ t", "h e", "Ġt he"}));
  ASSERT_NE(tokenizer, nullptr);
  EXPECT_EQ(tokenizer->TokenId("Ġthe"), 256);  // vocab keys are byte-level spelled
  EXPECT_EQ(tokenizer->TokenId("Ċ"), '\n');
  EXPECT_EQ(tokenizer->TokenId("nope"), std::nullopt);
  EXPECT_EQ(tokenizer->TokenBytes(256), " the");
  EXPECT_EQ(tokenizer->TokenBytes('\n'), "\n");
  EXPECT_EQ(tokenizer->TokenBytes(-1), "");
  EXPECT_EQ(tokenizer->TokenBytes(100000), "");
  EXPECT_EQ(tokenizer->Decode({'a', -5, 256, 1 << 20, 'b'}), "a theb");
}

TEST(TokenizerFixtureTest, LoadsAndLearnedCommonWords) {
  int64_t vocab_size = 0;
  const std::string json = TestTokenizerJson(&vocab_size);
  EXPECT_EQ(TestTokenizerJson(), json);  // deterministic
  const Tokenizer& tokenizer = Fixture();
  EXPECT_EQ(tokenizer.vocab_size(), vocab_size);
  EXPECT_GT(vocab_size, 256 + 200);
  const auto bos = tokenizer.TokenId("<|begin_of_text|>");
  const auto eos = tokenizer.TokenId("<|end_of_text|>");
  ASSERT_TRUE(bos.has_value());
  ASSERT_TRUE(eos.has_value());
  EXPECT_EQ(*eos, vocab_size - 1);
  for (const char* word : {"The", " the", " and", " answer", " model", " return", "    ", " is"}) {
    EXPECT_EQ(tokenizer.Encode(word).size(), 1u) << "\"" << word << "\"";
  }
  const std::string text = "<|begin_of_text|>The answer is 42.<|end_of_text|>";
  const std::vector<int32_t> ids = tokenizer.Encode(text);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), *bos);
  EXPECT_EQ(ids.back(), *eos);
  EXPECT_LT(ids.size(), 12u);
  EXPECT_EQ(tokenizer.Decode(ids), text);
}

TEST(TokenizerFixtureTest, RoundTripsAnyText) {
  const Tokenizer& tokenizer = Fixture();
  for (const std::string& text :
       {std::string(""), std::string("Hello, world!"),
        std::string("def f(x):\n    return x ** 2\n"),
        std::string("中文测试，日本語のテキスト、한국어"),
        std::string("emoji 😀👍🏽 family 👨‍👩‍👧"),
        std::string("combining: e\u0301 a\u0308\u0323 Z\u0335\u0321"),
        std::string("tabs\t\tand\r\nCRLF  \u00a0nbsp\u3000ideographic"),
        std::string("<|begin_of_text|><|begin_of_text|>x<|end_of_text|>"),
        std::string("<|begin_of_text"), std::string("\xff\xfe\x80 \xe4\xb8 ok \xf0\x9f\x98"),
        std::string("nul\0byte", 8)}) {
    EXPECT_EQ(tokenizer.Decode(tokenizer.Encode(text)), text);
  }
  std::mt19937 rng(1);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 256);
    ASSERT_EQ(tokenizer.Decode(tokenizer.Encode(bytes)), bytes);
  }
}

// 100k characters of mixed text encode in well under a second, and degenerate inputs (one long
// piece, one long whitespace run, invalid bytes) stay fast too.
TEST(TokenizerFixtureTest, EncodesLongTextFast) {
  const Tokenizer& tokenizer = Fixture();
  std::string mixed;
  std::mt19937 rng(3);
  const std::vector<std::string> words = {
      "The",   " answer", " is", " 12345", ",",      " and",          "\n",     "  ",
      " 中文", " 😀",      "def", " f(x):", "\n    ", " \\frac{1}{2}", " don't", " zyxwv"};
  while (mixed.size() < 100000) mixed += words[rng() % words.size()];
  const std::vector<std::pair<const char*, std::string>> texts = {
      {"mixed text", mixed},
      {"one letter run", std::string(100000, 'a')},
      {"one space run", std::string(100000, ' ')},
      {"invalid UTF-8", std::string(100000, '\xff')}};
  for (const auto& [name, text] : texts) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int32_t> ids = tokenizer.Encode(text);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("encode %zu bytes of %s -> %zu tokens in %.1f ms\n", text.size(), name, ids.size(),
                seconds * 1e3);
    EXPECT_LT(seconds, 5.0);  // generous for sanitizer builds; quadratic behaviour would exceed it
    EXPECT_EQ(tokenizer.Decode(ids), text);
  }
}

}  // namespace
}  // namespace rlvr::model
