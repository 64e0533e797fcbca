// TestTokenizerJson: a small but real byte-level BPE tokenizer.json, trained here. A plain BPE
// trainer (count adjacent pairs over the pre-tokenized corpus, merge the most frequent, repeat)
// runs over a fixed English + code + math text, so the merges are what a real trainer would learn
// from it and common words end up as single tokens. Nothing is random or downloaded.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/fixtures.h"
#include "model/internal/byte_level.h"
#include "model/internal/split_pattern.h"
#include "nlohmann/json.hpp"

namespace rlvr::model {
namespace {

constexpr int kMaxMerges = 400;

constexpr std::string_view kCorpus = R"corpus(
The quick brown fox jumps over the lazy dog. The dog was not amused, and the fox ran into the
woods. In the morning the farmer found that the fence had been broken, and he said that he would
repair it before the end of the day. It is the first time that this has happened in the village.
When we think about learning, we often think about the teacher and the student. The teacher
explains the problem, the student tries to solve the problem, and then the teacher checks the
answer. If the answer is correct, the student gets a reward; if the answer is wrong, the student
tries again. This is how reinforcement learning with verifiable rewards works: the model writes an
answer, a program checks the answer, and the reward tells the model what to do more often.
There are many kinds of problems. Some are about numbers, some are about words, and some are
about code. For each of them we need a way to check that the answer is right. For a math problem
we compare the final number with the reference; for a code problem we run the tests and count how
many of them pass. The model does not see the tests, and it should not be able to cheat.
She said that she would be there at the start of the meeting, but the train was late and she
arrived when it was almost over. They had already decided what to do, and the plan was simple:
first collect the data, then train the model, and finally evaluate it on the held out set.
We don't know yet whether it's going to work, but we'll find out soon. I'm sure they've tried
something like this before, and you'd think they'll have learned from it. Isn't it strange?
The history of the city is long. It was founded on the river more than a thousand years ago, and
for most of that time it was a small town of farmers and traders. The old bridge over the river
is still there, and people walk over it every day on their way to work.

def add(a, b):
    """Return the sum of a and b."""
    return a + b


def mean(values):
    if not values:
        raise ValueError("mean of an empty list")
    total = 0
    for value in values:
        total += value
    return total / len(values)


class Counter:
    def __init__(self):
        self.counts = {}

    def add(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key]


for i in range(10):
    if i % 2 == 0:
        print(i, "is even")
    else:
        print(i, "is odd")

#include <cstdint>
#include <string>
#include <vector>

int64_t Sum(const std::vector<int64_t>& values) {
  int64_t total = 0;
  for (const int64_t value : values) {
    total += value;
  }
  return total;
}

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

int main(int argc, char** argv) {
  std::vector<int64_t> values = {1, 2, 3, 4, 5};
  const int64_t total = Sum(values);
  if (total != 15) {
    return 1;
  }
  return 0;
}

Let x be a real number such that 2x + 3 = 11. Then 2x = 8, so x = 4.
The sum of the first n positive integers is n(n + 1) / 2. For n = 100 the sum is 5050.
If f(x) = x^2 - 4x + 3, then f(x) = (x - 1)(x - 3), so the roots of f are x = 1 and x = 3.
The area of a circle of radius r is \pi r^2, and its circumference is 2 \pi r.
Solve for y: 3y - 7 = 2y + 5. Subtract 2y from both sides to get y - 7 = 5, so y = 12.
The probability of rolling a sum of 7 with two fair dice is 6 / 36 = 1 / 6.
Let a_1 = 1 and a_{n+1} = 2 a_n + 1. Then a_n = 2^n - 1 for every n >= 1, by induction on n.
The answer is \boxed{42}. The final answer is \boxed{12}. Therefore the answer is \boxed{3}.
We have \frac{1}{2} + \frac{1}{3} = \frac{5}{6}, and \sqrt{16} = 4, and \sqrt{2} is irrational.
The derivative of \sin(x) is \cos(x), and the integral of 1/x from 1 to e is 1.
Find all integers n such that n^2 - 5n + 6 = 0. The equation factors as (n - 2)(n - 3) = 0, so
n = 2 or n = 3. Both are integers, and the answer is 2 and 3.
)corpus";

struct Trained {
  std::vector<std::string> token_bytes;     // id -> bytes; ids 0..255 are the bytes
  std::vector<std::pair<int, int>> merges;  // in rank order
};

Trained Train() {
  Trained trained;
  for (int b = 0; b < 256; ++b) trained.token_bytes.emplace_back(1, static_cast<char>(b));
  std::map<std::string, int> id_of;  // bytes -> id, to reuse a token reached by two merge paths
  for (int b = 0; b < 256; ++b) id_of[trained.token_bytes[b]] = b;

  // Pre-token counts, in sorted order so that training is deterministic.
  auto pattern = internal::SplitPattern::Create(internal::kLlama3SplitRegex);
  std::vector<std::pair<size_t, size_t>> matches;
  (*pattern)->FindMatches(kCorpus, &matches);
  std::map<std::string, int64_t> counts;
  for (const auto& [begin, end] : matches)
    ++counts[std::string(kCorpus.substr(begin, end - begin))];
  struct Word {
    std::vector<int> symbols;
    int64_t count;
  };
  std::vector<Word> words;
  for (const auto& [text, count] : counts) {
    Word word{{}, count};
    for (const char c : text) word.symbols.push_back(static_cast<uint8_t>(c));
    words.push_back(std::move(word));
  }

  const auto key = [](int a, int b) { return (static_cast<uint64_t>(a) << 32) | uint32_t(b); };
  while (static_cast<int>(trained.merges.size()) < kMaxMerges) {
    std::unordered_map<uint64_t, int64_t> pair_counts;
    for (const Word& word : words) {
      for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
        pair_counts[key(word.symbols[i], word.symbols[i + 1])] += word.count;
      }
    }
    uint64_t best = 0;
    int64_t best_count = 0;
    for (const auto& [pair, count] : pair_counts) {  // most frequent; ties to the smaller ids
      if (count > best_count || (count == best_count && pair < best)) {
        best = pair;
        best_count = count;
      }
    }
    if (best_count < 2) break;
    const int left = static_cast<int>(best >> 32);
    const int right = static_cast<int>(best & 0xFFFFFFFF);
    const std::string merged = trained.token_bytes[left] + trained.token_bytes[right];
    auto [it, added] = id_of.emplace(merged, static_cast<int>(trained.token_bytes.size()));
    if (added) trained.token_bytes.push_back(merged);
    const int id = it->second;
    trained.merges.emplace_back(left, right);
    for (Word& word : words) {
      std::vector<int> symbols;
      symbols.reserve(word.symbols.size());
      for (size_t i = 0; i < word.symbols.size(); ++i) {
        if (i + 1 < word.symbols.size() && word.symbols[i] == left &&
            word.symbols[i + 1] == right) {
          symbols.push_back(id);
          ++i;
        } else {
          symbols.push_back(word.symbols[i]);
        }
      }
      word.symbols = std::move(symbols);
    }
  }
  return trained;
}

struct Fixture {
  std::string json;
  int64_t vocab_size;
};

Fixture Build() {
  const Trained trained = Train();
  nlohmann::json vocab = nlohmann::json::object();
  for (size_t id = 0; id < trained.token_bytes.size(); ++id) {
    vocab[internal::ToByteLevel(trained.token_bytes[id])] = id;
  }
  nlohmann::json merges = nlohmann::json::array();
  for (const auto& [left, right] : trained.merges) {
    merges.push_back(internal::ToByteLevel(trained.token_bytes[left]) + " " +
                     internal::ToByteLevel(trained.token_bytes[right]));
  }
  const int64_t first_special = static_cast<int64_t>(trained.token_bytes.size());
  nlohmann::json added = nlohmann::json::array();
  int64_t next_id = first_special;
  for (const char* content : {"<|begin_of_text|>", "<|end_of_text|>"}) {
    added.push_back({{"id", next_id++},
                     {"content", content},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  nlohmann::json root = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         nlohmann::json::array({{{"type", "Split"},
                                 {"pattern", {{"Regex", internal::kLlama3SplitRegex}}},
                                 {"behavior", "Isolated"},
                                 {"invert", false}},
                                {{"type", "ByteLevel"},
                                 {"add_prefix_space", false},
                                 {"trim_offsets", true},
                                 {"use_regex", false}}})}}},
      {"post_processor",
       {{"type", "ByteLevel"},
        {"add_prefix_space", true},
        {"trim_offsets", false},
        {"use_regex", true}}},
      {"decoder",
       {{"type", "ByteLevel"},
        {"add_prefix_space", true},
        {"trim_offsets", true},
        {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", true},
        {"vocab", vocab},
        {"merges", merges}}}};
  return Fixture{root.dump(), next_id};
}

}  // namespace

std::string TestTokenizerJson(int64_t* vocab_size) {
  static const Fixture* const fixture = new Fixture(Build());
  if (vocab_size != nullptr) *vocab_size = fixture->vocab_size;
  return fixture->json;
}

}  // namespace rlvr::model
