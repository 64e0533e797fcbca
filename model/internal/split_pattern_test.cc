#include "model/internal/split_pattern.h"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/internal/byte_level.h"

namespace rlvr::model::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The text split into pieces: matches, and the gaps between them as pieces too (HF's Isolated).
std::vector<std::string> Pieces(const SplitPattern& pattern, std::string_view text) {
  std::vector<std::pair<size_t, size_t>> matches;
  pattern.FindMatches(text, &matches);
  std::vector<std::string> pieces;
  size_t previous = 0;
  for (const auto& [begin, end] : matches) {
    EXPECT_LT(begin, end);
    EXPECT_LE(previous, begin);
    if (begin > previous) pieces.emplace_back(text.substr(previous, begin - previous));
    pieces.emplace_back(text.substr(begin, end - begin));
    previous = end;
  }
  if (previous < text.size()) pieces.emplace_back(text.substr(previous));
  return pieces;
}

std::unique_ptr<SplitPattern> MustCreate(std::string_view regex) {
  auto pattern = SplitPattern::Create(regex);
  EXPECT_TRUE(pattern.ok()) << pattern.status();
  return pattern.ok() ? *std::move(pattern) : nullptr;
}

TEST(TokenizerSplitPatternTest, Llama3HandChecked) {
  auto llama3 = MustCreate(kLlama3SplitRegex);
  EXPECT_THAT(
      Pieces(*llama3, "Hello world  foo\n\nbar 12345 don't"),
      ElementsAre("Hello", " world", " ", " foo", "\n\n", "bar", " ", "123", "45", " don", "'t"));
  // Trailing whitespace is one piece; whitespace before a newline goes with the newline.
  EXPECT_THAT(Pieces(*llama3, "x   "), ElementsAre("x", "   "));
  EXPECT_THAT(Pieces(*llama3, "a \n b"), ElementsAre("a", " \n", " b"));
  EXPECT_THAT(Pieces(*llama3, "x  \n"), ElementsAre("x", "  \n"));
  // A tab is not a letter, so it may lead a word; the run before it keeps all but the last char.
  EXPECT_THAT(Pieces(*llama3, "\t\tx"), ElementsAre("\t", "\tx"));
  EXPECT_THAT(Pieces(*llama3, "   +1"), ElementsAre("  ", " +", "1"));
  // Contractions are case-insensitive; punctuation takes trailing newlines.
  EXPECT_THAT(Pieces(*llama3, "I'M HE'LL!!\n\nok"),
              ElementsAre("I", "'M", " HE", "'LL", "!!\n\n", "ok"));
  EXPECT_THAT(Pieces(*llama3, "(x+y)"), ElementsAre("(x", "+y", ")"));
  // Unicode letters, digits and whitespace (U+00A0, U+3000 are \s for Oniguruma, not for RE2).
  EXPECT_THAT(Pieces(*llama3, "héllo\u00a0\u00a0wörld"),
              ElementsAre("héllo", "\u00a0", "\u00a0wörld"));
  EXPECT_THAT(Pieces(*llama3, "中文\u3000字 ٣٣٣٣"),
              ElementsAre("中文", "\u3000字", " ", "٣٣٣", "٣"));
  // U+200B (zero width space) is not whitespace: it is punctuation-like here.
  EXPECT_THAT(Pieces(*llama3, "a\u200bb"), ElementsAre("a", "\u200bb"));
  EXPECT_THAT(Pieces(*llama3, ""), ElementsAre());
  EXPECT_THAT(Pieces(*llama3, "   "), ElementsAre("   "));
  EXPECT_THAT(Pieces(*llama3, " "), ElementsAre(" "));
}

TEST(TokenizerSplitPatternTest, Gpt2AndQwen2HandChecked) {
  auto gpt2 = MustCreate(kGpt2SplitRegex);
  EXPECT_THAT(
      Pieces(*gpt2, "Hello world  foo\n\nbar 12345 don't"),
      ElementsAre("Hello", " world", " ", " foo", "\n", "\n", "bar", " 12345", " don", "'t"));
  EXPECT_THAT(Pieces(*gpt2, "I'M x   "), ElementsAre("I", "'", "M", " x", "   "));
  auto qwen2 = MustCreate(kQwen2SplitRegex);
  EXPECT_THAT(Pieces(*qwen2, "x 2024!"), ElementsAre("x", " ", "2", "0", "2", "4", "!"));
}

TEST(TokenizerSplitPatternTest, OtherFamiliesPatternsRun) {
  // o200k / Mistral Tekken style: case-aware words with optional contractions.
  const std::string upper = R"([\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}])";
  const std::string lower = R"([\p{Ll}\p{Lm}\p{Lo}\p{M}])";
  const std::string contraction = R"((?i:'s|'t|'re|'ve|'m|'ll|'d)?)";
  auto o200k = MustCreate(R"([^\r\n\p{L}\p{N}]?)" + upper + "*" + lower + "+" + contraction +
                          R"(|[^\r\n\p{L}\p{N}]?)" + upper + "+" + lower + "*" + contraction +
                          R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)");
  EXPECT_THAT(Pieces(*o200k, "HelloWorld it's  JSONParser"),
              ElementsAre("Hello", "World", " it's", " ", " JSONParser"));
  // DeepSeek style: \uHHHH escapes (Oniguruma) inside a class.
  auto cjk = MustCreate(R"([一-龥\u3040-ゟ゠-ヿ]+)");
  EXPECT_THAT(Pieces(*cjk, "ab漢字かなカナcd"), ElementsAre("ab", "漢字かなカナ", "cd"));
}

TEST(TokenizerSplitPatternTest, LookaheadKeepsItsPlaceInTheAlternation) {
  // An earlier alternative that matches at the same place wins over the emulated one...
  auto earlier = MustCreate(R"( a|\s+(?!\S)|\s+)");
  EXPECT_THAT(Pieces(*earlier, "  a"), ElementsAre(" ", " a"));
  EXPECT_THAT(Pieces(*earlier, " a"), ElementsAre(" a"));
  auto earlier_run = MustCreate(R"(\s\s\s|\s+(?!\S)|x)");
  EXPECT_THAT(Pieces(*earlier_run, "    x"), ElementsAre("   ", " ", "x"));
  // ...and the emulated one wins over a later one.
  auto later = MustCreate(R"(\s+(?!\S)|\s+x)");
  EXPECT_THAT(Pieces(*later, "   x"), ElementsAre("  ", " x"));
  // Alone, it leaves gaps: a lone space before a non-space never matches.
  auto alone = MustCreate(R"(\s+(?!\S))");
  EXPECT_THAT(Pieces(*alone, "a b  c   "), ElementsAre("a b", " ", " c", "   "));
}

TEST(TokenizerSplitPatternTest, UnicodeClassTranslations) {
  auto digits = MustCreate(R"(\d+|\w+|\W)");
  // Ⅻ is a letter number (Nl): not \d and, for Oniguruma, not \w either.
  EXPECT_THAT(Pieces(*digits, "٣4ab_c٣ Ⅻ!"), ElementsAre("٣4", "ab_c٣", " ", "Ⅻ", "!"));
  auto not_space = MustCreate(R"(\S+|[\s]+)");
  EXPECT_THAT(Pieces(*not_space, "a\u2028b \u0085c"),
              ElementsAre("a", "\u2028", "b", " \u0085", "c"));
  auto in_class = MustCreate(R"([\S]+|[^\S]+|[\d]+)");
  EXPECT_THAT(Pieces(*in_class, "xy \tz"), ElementsAre("xy", " \t", "z"));
}

TEST(TokenizerSplitPatternTest, EmptyMatchesAreSkipped) {
  auto maybe = MustCreate("a*");
  EXPECT_THAT(Pieces(*maybe, "baab"), ElementsAre("b", "aa", "b"));
}

TEST(TokenizerSplitPatternTest, LiteralIsVerbatim) {
  auto literal = SplitPattern::Literal("a.|(");
  ASSERT_TRUE(literal.ok()) << literal.status();
  EXPECT_THAT(Pieces(**literal, "xa.|(ya.b"), ElementsAre("x", "a.|(", "ya.b"));
}

TEST(TokenizerSplitPatternTest, RejectsWhatItCannotRun) {
  struct Case {
    const char* regex;
    const char* message;
  };
  for (const Case& c :
       {Case{R"(a(?=b))", "lookaround at offset 1"}, Case{R"((?<=a)b)", "lookaround at offset 0"},
        Case{R"(\s+(?!\S)|\s*(?!\S))", "lookaround at offset 13"},
        Case{"[a[b]]", "nested character class"}, Case{"[\\W]", "\\W inside a character class"},
        Case{"a\\", "lone backslash"}, Case{"\\u12", "not followed by 4 hex digits"},
        Case{"(a", "RE2 cannot compile"}, Case{"a++", "RE2 cannot compile"}}) {
    auto pattern = SplitPattern::Create(c.regex);
    ASSERT_FALSE(pattern.ok()) << c.regex;
    EXPECT_EQ(pattern.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(pattern.status().message(), HasSubstr(c.message)) << c.regex;
    EXPECT_THAT(pattern.status().message(), HasSubstr(c.regex));
  }
}

// A direct transcription of what a backtracking engine does with the Llama 3 / Qwen2 and GPT-2
// patterns, alternative by alternative, over characters of known class.
enum class Class { kLetter, kNumber, kSpace, kOther };
struct Char {
  std::string utf8;
  Class cls;
};

const std::vector<Char>& Alphabet() {
  static const auto* alphabet = new std::vector<Char>{
      {"a", Class::kLetter},     {"b", Class::kLetter},     {"s", Class::kLetter},
      {"t", Class::kLetter},     {"r", Class::kLetter},     {"e", Class::kLetter},
      {"v", Class::kLetter},     {"m", Class::kLetter},     {"l", Class::kLetter},
      {"d", Class::kLetter},     {"S", Class::kLetter},     {"T", Class::kLetter},
      {"L", Class::kLetter},     {"D", Class::kLetter},     {"é", Class::kLetter},
      {"中", Class::kLetter},    {"ж", Class::kLetter},     {"1", Class::kNumber},
      {"2", Class::kNumber},     {"٣", Class::kNumber},     {"Ⅻ", Class::kNumber},
      {" ", Class::kSpace},      {" ", Class::kSpace},      {" ", Class::kSpace},
      {"\t", Class::kSpace},     {"\n", Class::kSpace},     {"\r", Class::kSpace},
      {"\v", Class::kSpace},     {"\u00a0", Class::kSpace}, {"\u3000", Class::kSpace},
      {"\u2028", Class::kSpace}, {"\u0085", Class::kSpace}, {"'", Class::kOther},
      {"'", Class::kOther},      {"!", Class::kOther},      {".", Class::kOther},
      {"😀", Class::kOther},      {"\u0301", Class::kOther}, {"_", Class::kOther},
      {"\u200b", Class::kOther}, {"\x7f", Class::kOther}};
  return *alphabet;
}

using Text = std::vector<const Char*>;

bool Is(const Text& t, size_t i, Class cls) { return i < t.size() && t[i]->cls == cls; }
bool IsNewline(const Text& t, size_t i) {
  return i < t.size() && (t[i]->utf8 == "\n" || t[i]->utf8 == "\r");
}
size_t RunOf(const Text& t, size_t i, Class cls) {
  while (Is(t, i, cls)) ++i;
  return i;
}
char Lower(const Char* c) {
  return c->utf8.size() == 1 && c->utf8[0] >= 'A' && c->utf8[0] <= 'Z' ? c->utf8[0] - 'A' + 'a'
                                                                       : c->utf8[0];
}
// End of a contraction ('s 't 're 've 'm 'll 'd, in that order) at i, or 0.
size_t Contraction(const Text& t, size_t i, bool ignore_case) {
  if (i >= t.size() || t[i]->utf8 != "'") return 0;
  for (const std::string_view suffix : {"s", "t", "re", "ve", "m", "ll", "d"}) {
    size_t k = 0;
    while (k < suffix.size() && i + 1 + k < t.size() && t[i + 1 + k]->utf8.size() == 1 &&
           (ignore_case ? Lower(t[i + 1 + k]) : t[i + 1 + k]->utf8[0]) == suffix[k]) {
      ++k;
    }
    if (k == suffix.size()) return i + 1 + k;
  }
  return 0;
}
// `\s+(?!\S)` then `\s+` at a whitespace character i.
size_t Whitespace(const Text& t, size_t i) {
  const size_t end = RunOf(t, i, Class::kSpace);
  if (end == t.size() || end - i == 1) return end;
  return end - 1;
}

// Llama 3 (max_digits 3) and Qwen2 (max_digits 1).
size_t Llama3MatchEnd(const Text& t, size_t i, size_t max_digits) {
  if (size_t end = Contraction(t, i, /*ignore_case=*/true)) return end;
  if (!Is(t, i, Class::kLetter) && !Is(t, i, Class::kNumber) && !IsNewline(t, i) &&
      Is(t, i + 1, Class::kLetter)) {
    return RunOf(t, i + 1, Class::kLetter);
  }
  if (Is(t, i, Class::kLetter)) return RunOf(t, i, Class::kLetter);
  if (Is(t, i, Class::kNumber)) return std::min(RunOf(t, i, Class::kNumber), i + max_digits);
  const size_t p = t[i]->utf8 == " " && Is(t, i + 1, Class::kOther) ? i + 1 : i;
  if (Is(t, p, Class::kOther)) {
    size_t end = RunOf(t, p, Class::kOther);
    while (IsNewline(t, end)) ++end;
    return end;
  }
  const size_t run_end = RunOf(t, i, Class::kSpace);  // t[i] is whitespace from here on
  for (size_t k = run_end; k > i; --k) {
    if (IsNewline(t, k - 1)) return k;  // \s*[\r\n]+: up to the last newline of the run
  }
  return Whitespace(t, i);
}

size_t Gpt2MatchEnd(const Text& t, size_t i) {
  if (size_t end = Contraction(t, i, /*ignore_case=*/false)) return end;
  const size_t p =
      t[i]->utf8 == " " && i + 1 < t.size() && t[i + 1]->cls != Class::kSpace ? i + 1 : i;
  if (!Is(t, p, Class::kSpace)) return RunOf(t, p, t[p]->cls);
  return Whitespace(t, i);
}

TEST(TokenizerSplitPatternTest, MatchesBacktrackingReferenceOnRandomText) {
  auto llama3 = MustCreate(kLlama3SplitRegex);
  auto qwen2 = MustCreate(kQwen2SplitRegex);
  auto gpt2 = MustCreate(kGpt2SplitRegex);
  std::mt19937 rng(7);
  const std::vector<Char>& alphabet = Alphabet();
  for (int trial = 0; trial < 3000; ++trial) {
    Text text(rng() % 24);
    std::string utf8;
    for (auto& c : text) {
      c = &alphabet[rng() % alphabet.size()];
      utf8 += c->utf8;
    }
    for (const int which : {0, 1, 2}) {
      std::vector<std::string> expected;
      for (size_t i = 0; i < text.size();) {
        const size_t end =
            which == 2 ? Gpt2MatchEnd(text, i) : Llama3MatchEnd(text, i, which == 0 ? 3 : 1);
        std::string piece;
        for (size_t k = i; k < end; ++k) piece += text[k]->utf8;
        expected.push_back(piece);
        i = end;
      }
      const SplitPattern& pattern = which == 0 ? *llama3 : which == 1 ? *qwen2 : *gpt2;
      ASSERT_EQ(Pieces(pattern, utf8), expected)
          << "pattern " << pattern.pattern() << "\ntext \"" << utf8 << "\"";
    }
  }
}

TEST(TokenizerUtf8Test, DecodesStrictly) {
  char32_t cp = 0;
  EXPECT_EQ(DecodeUtf8("a", 0, &cp), 1u);
  EXPECT_EQ(cp, U'a');
  EXPECT_EQ(DecodeUtf8("é", 0, &cp), 2u);
  EXPECT_EQ(cp, U'é');
  EXPECT_EQ(DecodeUtf8("中", 0, &cp), 3u);
  EXPECT_EQ(cp, U'中');
  EXPECT_EQ(DecodeUtf8("😀", 0, &cp), 4u);
  EXPECT_EQ(cp, U'😀');
  for (const std::string_view bad :
       {std::string_view("\xC0\xAF"), std::string_view("\xE0\x80\xAF"),  // overlong
        std::string_view("\xED\xA0\x80"),                                // surrogate
        std::string_view("\xF4\x90\x80\x80"),                            // above U+10FFFF
        std::string_view("\xE4\xB8"), std::string_view("\x80"), std::string_view("\xFF")}) {
    EXPECT_EQ(DecodeUtf8(bad, 0, &cp), 0u) << testing::PrintToString(std::string(bad));
  }
  EXPECT_EQ(DecodeUtf8("a", 1, &cp), 0u);
  for (char32_t c : {U'a', U'\u07ff', U'\u0800', U'\uffff', U'\U00010000', U'\U0010ffff'}) {
    const std::string utf8 = EncodeUtf8(c);
    EXPECT_EQ(DecodeUtf8(utf8, 0, &cp), utf8.size());
    EXPECT_EQ(cp, c);
  }
}

TEST(TokenizerByteLevelTest, MapsEveryByteAndBack) {
  EXPECT_EQ(ToByteLevel(" "), "Ġ");
  EXPECT_EQ(ToByteLevel("\n"), "Ċ");
  EXPECT_EQ(ToByteLevel("hi!"), "hi!");
  EXPECT_EQ(ByteLevelCodePoint(0), 0x100u);
  EXPECT_EQ(ByteLevelCodePoint(0xAD), 0x143u);  // the last remapped byte
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  std::string back;
  ASSERT_TRUE(FromByteLevel(ToByteLevel(all), &back));
  EXPECT_EQ(back, all);
  EXPECT_FALSE(FromByteLevel(" ", &back));  // U+0020 is not in the alphabet
  EXPECT_FALSE(FromByteLevel("中", &back));
  EXPECT_FALSE(FromByteLevel("\xC4", &back));  // not UTF-8
}

}  // namespace
}  // namespace rlvr::model::internal
