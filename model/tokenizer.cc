// Byte-level BPE over a Hugging Face tokenizer.json. Encoding, in the order HF runs it:
//   1. Added tokens are cut out of the text verbatim (leftmost, then longest match): first those
//      with "normalized": false, then the others in what is left. lstrip/rstrip swallow the
//      whitespace beside a match (those bytes then decode as nothing, as in HF); single_word
//      matches only between non-word characters.
//   2. The normalizer: only null and NFC are accepted, and NFC is applied as the identity, since
//      there is no Unicode normalization here without ICU: non-NFC input is tokenized as given
//      (NFC text, the usual case, is unaffected).
//   3. The pre-tokenizer steps (Split with an Oniguruma regex, ByteLevel) split each text segment
//      into pieces; see internal/split_pattern.h for how the regex keeps HF's semantics in RE2.
//      Invalid UTF-8 never reaches the regex: each run of bytes that is not valid UTF-8 is a piece
//      of its own, so every byte is encoded and decodes back exactly.
//   4. Each piece, as bytes, starts as one token per byte (the vocabulary must hold all 256 byte
//      tokens) and the lowest-ranked adjacent pair is merged until none is in the merge list,
//      leftmost first among equal ranks. With "ignore_merges" a piece that is itself in the
//      vocabulary becomes that token directly.
// The post_processor is ignored: Encode adds no BOS/EOS; callers add them by id.
// Decode concatenates token bytes: vocabulary tokens through the byte-level alphabet (a token
// with a character outside it as its UTF-8, as HF's ByteLevel decoder does), added tokens as
// their content verbatim, since that is what they matched.
// TokenId takes a vocabulary token as tokenizer.json spells it ("Ġthe", not " the") or an added
// token's content.
// BPE runs on raw bytes, not on the byte-level characters: the vocabulary and merges are mapped
// to bytes once at load, which gives the same result and needs no per-call translation.
#include "model/tokenizer.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <functional>
#include <queue>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "model/internal/byte_level.h"
#include "model/internal/split_pattern.h"
#include "nlohmann/json.hpp"
#include "re2/re2.h"

namespace rlvr::model {
namespace {

using Json = nlohmann::json;
using internal::SplitPattern;

constexpr int64_t kMaxTokenId = (int64_t{1} << 24) - 1;

// A JSON value for a message, shortened.
std::string Show(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

// StrCat arguments: Abseil 20220623's absl::string_view is not std::string_view.
template <typename T>
const T& Arg(const T& value) {
  return value;
}
absl::string_view Arg(std::string_view s) { return absl::string_view(s.data(), s.size()); }

template <typename... Args>
absl::Status Invalid(const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat("tokenizer.json: ", Arg(args)...));
}

// Reads an optional field of `object`: absent or null leaves `*out` as it is.
absl::Status OptionalBool(const Json& object, const char* key, std::string_view where, bool* out) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_boolean()) return Invalid(where, ".", key, " is ", Show(*it), "; expected a bool");
  *out = it->get<bool>();
  return absl::OkStatus();
}

absl::StatusOr<std::string> TypeOf(const Json& object, std::string_view where) {
  if (!object.is_object()) return Invalid(where, " is ", Show(object), "; expected an object");
  const auto it = object.find("type");
  if (it == object.end() || !it->is_string()) {
    return Invalid(where, " has no string \"type\" (", Show(object), ")");
  }
  return it->get<std::string>();
}

absl::StatusOr<int32_t> TokenIdValue(const Json& value, std::string_view what) {
  if (!value.is_number_integer())
    return Invalid(what, " is ", Show(value), "; expected an integer id");
  const int64_t id = value.get<int64_t>();
  if (id < 0 || id > kMaxTokenId) {
    return Invalid(what, " is ", id, "; ids must lie in [0, ", kMaxTokenId, "]");
  }
  return static_cast<int32_t>(id);
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

uint64_t PairKey(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// Whether the character ending at `end` (not before `begin`) of `text` is whitespace; its length
// in `*len`.
bool SpaceEndsAt(std::string_view text, size_t begin, size_t end, size_t* len) {
  for (size_t n = 1; n <= 4 && n <= end - begin; ++n) {
    char32_t cp = 0;
    if (internal::DecodeUtf8(text, end - n, &cp) == n) {
      *len = n;
      return internal::IsUnicodeSpace(cp);
    }
  }
  return false;
}

// A word character in the sense of single_word (letters, marks, digits, connector punctuation).
bool IsWordChar(std::string_view ch) {
  static const re2::RE2* const kWord = new re2::RE2(R"([\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}])");
  return re2::RE2::FullMatch(re2::StringPiece(ch.data(), ch.size()), *kWord);
}

bool WordCharEndsAt(std::string_view text, size_t begin, size_t end) {
  for (size_t n = 1; n <= 4 && n <= end - begin; ++n) {
    char32_t cp = 0;
    if (internal::DecodeUtf8(text, end - n, &cp) == n) return IsWordChar(text.substr(end - n, n));
  }
  return false;
}

bool WordCharStartsAt(std::string_view text, size_t pos) {
  char32_t cp = 0;
  const size_t len = internal::DecodeUtf8(text, pos, &cp);
  return len > 0 && IsWordChar(text.substr(pos, len));
}

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
};

// The added tokens matched in one pass, by first byte, longest first.
struct AddedTokenPass {
  std::array<std::vector<const AddedToken*>, 256> by_first_byte;
  bool empty = true;
};

// A stretch of the input: an added token (id >= 0) or text to pre-tokenize (id < 0).
struct Segment {
  size_t begin;
  size_t end;
  int32_t id;
};

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct PreTokenizerStep {
  bool byte_level = false;                // else a Split
  std::unique_ptr<SplitPattern> pattern;  // null for ByteLevel without use_regex
  Behavior behavior = Behavior::kIsolated;
  bool invert = false;
  bool add_prefix_space = false;
};

struct Merge {
  int32_t rank;
  int32_t id;
};

class BpeTokenizer final : public Tokenizer {
 public:
  static absl::StatusOr<std::unique_ptr<Tokenizer>> Parse(const Json& root);

  std::vector<int32_t> Encode(std::string_view text) const override;
  std::string Decode(const std::vector<int32_t>& ids) const override;
  std::string TokenBytes(int32_t id) const override;
  std::optional<int32_t> TokenId(std::string_view content) const override;
  int32_t vocab_size() const override { return static_cast<int32_t>(id_bytes_.size()); }

 private:
  absl::Status ParseModel(const Json& model);
  absl::Status ParseAddedTokens(const Json& added);
  absl::Status ParseNormalizer(const Json& normalizer, const std::string& where);
  absl::Status ParsePreTokenizer(const Json& pre_tokenizer, const std::string& where);
  absl::Status ParseDecoder(const Json& decoder, const std::string& where);
  void IndexAddedTokens();

  void SplitAddedTokens(std::string_view text, const AddedTokenPass& pass,
                        std::vector<Segment>* segments) const;
  void ApplyStep(const PreTokenizerStep& step, std::string_view piece,
                 std::vector<std::string>* out) const;
  void SplitValid(const PreTokenizerStep& step, std::string_view text,
                  std::vector<std::string>* out) const;
  void Bpe(std::string_view piece, std::vector<int32_t>* ids) const;

  StringMap vocab_;        // vocab content as written (byte-level characters) -> id
  StringMap bytes_to_id_;  // bytes -> id, for vocab tokens written in byte-level characters
  std::unordered_map<uint64_t, Merge> merges_;  // PairKey(left, right) -> rank and result
  std::array<int32_t, 256> byte_ids_{};
  bool ignore_merges_ = false;
  std::vector<PreTokenizerStep> steps_;
  std::vector<AddedToken> added_;
  StringMap added_ids_;                // added token content -> id
  AddedTokenPass unnormalized_;        // added tokens with "normalized": false
  AddedTokenPass normalized_;          // the others
  std::vector<std::string> id_bytes_;  // id -> bytes; empty for ids that name no token
};

absl::StatusOr<std::unique_ptr<Tokenizer>> BpeTokenizer::Parse(const Json& root) {
  if (!root.is_object()) return Invalid("the top level is ", Show(root), "; expected an object");
  auto tokenizer = std::make_unique<BpeTokenizer>();
  const auto model = root.find("model");
  if (model == root.end() || model->is_null()) return Invalid("has no \"model\"");
  if (absl::Status s = tokenizer->ParseModel(*model); !s.ok()) return s;
  if (const auto added = root.find("added_tokens"); added != root.end() && !added->is_null()) {
    if (absl::Status s = tokenizer->ParseAddedTokens(*added); !s.ok()) return s;
  }
  if (const auto n = root.find("normalizer"); n != root.end() && !n->is_null()) {
    if (absl::Status s = tokenizer->ParseNormalizer(*n, "normalizer"); !s.ok()) return s;
  }
  const auto pre = root.find("pre_tokenizer");
  if (pre == root.end() || pre->is_null()) {
    return Invalid("has no \"pre_tokenizer\"; byte-level BPE needs a ByteLevel pre-tokenizer");
  }
  if (absl::Status s = tokenizer->ParsePreTokenizer(*pre, "pre_tokenizer"); !s.ok()) return s;
  if (std::none_of(tokenizer->steps_.begin(), tokenizer->steps_.end(),
                   [](const PreTokenizerStep& step) { return step.byte_level; })) {
    return Invalid("pre_tokenizer ", Show(*pre),
                   " has no ByteLevel step; only byte-level BPE is supported");
  }
  if (const auto d = root.find("decoder"); d != root.end() && !d->is_null()) {
    if (absl::Status s = tokenizer->ParseDecoder(*d, "decoder"); !s.ok()) return s;
  }
  tokenizer->IndexAddedTokens();
  return tokenizer;
}

absl::Status BpeTokenizer::ParseModel(const Json& model) {
  if (!model.is_object()) return Invalid("model is ", Show(model), "; expected an object");
  // Old files may leave out the type of a BPE model.
  if (const auto type = model.find("type"); type != model.end()) {
    if (!type->is_string() || type->get<std::string>() != "BPE") {
      return Invalid("model.type is ", Show(*type), "; only \"BPE\" is supported");
    }
  }
  bool byte_fallback = false;
  if (absl::Status s = OptionalBool(model, "byte_fallback", "model", &byte_fallback); !s.ok()) {
    return s;
  }
  if (byte_fallback) {
    return Invalid(
        "model.byte_fallback is true (SentencePiece-style BPE); only byte-level BPE "
        "is supported");
  }
  if (const auto dropout = model.find("dropout"); dropout != model.end() && !dropout->is_null()) {
    if (!dropout->is_number() || dropout->get<double>() != 0.0) {
      return Invalid("model.dropout is ", Show(*dropout), "; BPE dropout is not supported");
    }
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const auto it = model.find(key);
    if (it != model.end() && !it->is_null() &&
        !(it->is_string() && it->get<std::string>().empty())) {
      return Invalid("model.", key, " is ", Show(*it), "; only null is supported");
    }
  }
  if (absl::Status s = OptionalBool(model, "ignore_merges", "model", &ignore_merges_); !s.ok()) {
    return s;
  }

  const auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_object()) {
    return Invalid("model.vocab is missing or not an object");
  }
  vocab_.reserve(vocab->size());
  bytes_to_id_.reserve(vocab->size());
  std::vector<const std::string*> content_of;  // id -> vocab content, null where unused
  for (const auto& [content, value] : vocab->items()) {
    auto id = TokenIdValue(value, absl::StrCat("model.vocab[\"", content, "\"]"));
    if (!id.ok()) return id.status();
    if (static_cast<size_t>(*id) >= content_of.size()) content_of.resize(*id + 1, nullptr);
    if (content_of[*id] != nullptr) {
      return Invalid("model.vocab gives id ", *id, " to both \"", *content_of[*id], "\" and \"",
                     content, "\"");
    }
    const auto [it, inserted] = vocab_.emplace(content, *id);
    content_of[*id] = &it->first;
  }
  id_bytes_.assign(content_of.size(), std::string());
  for (const auto& [content, id] : vocab_) {
    std::string bytes;
    if (internal::FromByteLevel(content, &bytes)) {
      bytes_to_id_.emplace(bytes, id);
      id_bytes_[id] = std::move(bytes);
    } else {
      id_bytes_[id] = content;  // as HF's ByteLevel decoder: a token outside the alphabet as is
    }
  }
  for (int b = 0; b < 256; ++b) {
    const auto it = bytes_to_id_.find(std::string(1, static_cast<char>(b)));
    if (it == bytes_to_id_.end()) {
      return Invalid("model.vocab has no token for byte 0x", absl::Hex(b, absl::kZeroPad2), " (\"",
                     internal::ToByteLevel(std::string(1, static_cast<char>(b))),
                     "\"); byte-level BPE needs all 256");
    }
    byte_ids_[b] = it->second;
  }

  const auto merges = model.find("merges");
  if (merges == model.end() || !merges->is_array()) {
    return Invalid("model.merges is missing or not an array");
  }
  merges_.reserve(merges->size());
  for (size_t rank = 0; rank < merges->size(); ++rank) {
    const Json& merge = (*merges)[rank];
    std::string left;
    std::string right;
    if (merge.is_string()) {  // "left right"
      const std::string text = merge.get<std::string>();
      const size_t space = text.find(' ');
      if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
        return Invalid("model.merges[", rank, "] is ", Show(merge),
                       "; expected two tokens separated by one space");
      }
      left = text.substr(0, space);
      right = text.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {  // ["left", "right"]
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    } else {
      return Invalid("model.merges[", rank, "] is ", Show(merge),
                     "; expected \"left right\" or [\"left\", \"right\"]");
    }
    int32_t ids[3];
    const std::string* parts[3] = {&left, &right, nullptr};
    const std::string merged = left + right;
    parts[2] = &merged;
    for (int k = 0; k < 3; ++k) {
      const auto it = vocab_.find(*parts[k]);
      if (it == vocab_.end()) {
        return Invalid("model.merges[", rank, "] ", Show(merge), " needs \"", *parts[k],
                       "\", which is not in model.vocab");
      }
      ids[k] = it->second;
    }
    merges_[PairKey(ids[0], ids[1])] = Merge{static_cast<int32_t>(rank), ids[2]};  // last wins
  }
  return absl::OkStatus();
}

absl::Status BpeTokenizer::ParseAddedTokens(const Json& added) {
  if (!added.is_array()) return Invalid("added_tokens is ", Show(added), "; expected an array");
  for (size_t i = 0; i < added.size(); ++i) {
    const Json& entry = added[i];
    const std::string where = absl::StrCat("added_tokens[", i, "]");
    if (!entry.is_object()) return Invalid(where, " is ", Show(entry), "; expected an object");
    AddedToken token;
    const auto id_it = entry.find("id");
    if (id_it == entry.end()) return Invalid(where, " has no \"id\"");
    auto id = TokenIdValue(*id_it, where + ".id");
    if (!id.ok()) return id.status();
    token.id = *id;
    const auto content = entry.find("content");
    if (content == entry.end() || !content->is_string() || content->get<std::string>().empty()) {
      return Invalid(where, ".content is missing or not a non-empty string (", Show(entry), ")");
    }
    token.content = content->get<std::string>();
    for (const auto& [key, flag] : {std::pair{"special", &token.special},
                                    {"single_word", &token.single_word},
                                    {"lstrip", &token.lstrip},
                                    {"rstrip", &token.rstrip},
                                    {"normalized", &token.normalized}}) {
      if (absl::Status s = OptionalBool(entry, key, where, flag); !s.ok()) return s;
    }
    if (const auto it = vocab_.find(token.content); it != vocab_.end() && it->second != token.id) {
      return Invalid(where, " \"", token.content, "\" has id ", token.id,
                     " but model.vocab gives it ", it->second);
    }
    if (const auto it = added_ids_.find(token.content); it != added_ids_.end()) {
      if (it->second != token.id) {
        return Invalid(where, " \"", token.content, "\" has id ", token.id,
                       " but an earlier added token gives it ", it->second);
      }
      continue;  // listed twice
    }
    if (static_cast<size_t>(token.id) >= id_bytes_.size()) id_bytes_.resize(token.id + 1);
    const bool in_vocab = vocab_.contains(token.content);
    if (!in_vocab && !id_bytes_[token.id].empty()) {
      return Invalid(where, " \"", token.content, "\" has id ", token.id,
                     ", which already names another token");
    }
    id_bytes_[token.id] = token.content;  // decodes verbatim: it was matched verbatim
    added_ids_.emplace(token.content, token.id);
    added_.push_back(std::move(token));
  }
  return absl::OkStatus();
}

absl::Status BpeTokenizer::ParseNormalizer(const Json& normalizer, const std::string& where) {
  auto type = TypeOf(normalizer, where);
  if (!type.ok()) return type.status();
  if (*type == "NFC") return absl::OkStatus();  // applied as the identity; see the file comment
  if (*type == "Sequence") {
    const auto list = normalizer.find("normalizers");
    if (list == normalizer.end() || !list->is_array()) {
      return Invalid(where, ".normalizers is missing or not an array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      absl::Status s = ParseNormalizer((*list)[i], absl::StrCat(where, ".normalizers[", i, "]"));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  return Invalid(where, ".type is \"", *type,
                 "\"; only null and \"NFC\" (applied as the identity) are supported");
}

absl::Status BpeTokenizer::ParsePreTokenizer(const Json& pre, const std::string& where) {
  auto type = TypeOf(pre, where);
  if (!type.ok()) return type.status();
  if (*type == "Sequence") {
    const auto list = pre.find("pretokenizers");
    if (list == pre.end() || !list->is_array()) {
      return Invalid(where, ".pretokenizers is missing or not an array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      absl::Status s =
          ParsePreTokenizer((*list)[i], absl::StrCat(where, ".pretokenizers[", i, "]"));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  PreTokenizerStep step;
  if (*type == "ByteLevel") {
    // HF's defaults when the fields are absent.
    step.byte_level = true;
    step.add_prefix_space = true;
    bool use_regex = true;
    if (absl::Status s = OptionalBool(pre, "add_prefix_space", where, &step.add_prefix_space);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = OptionalBool(pre, "use_regex", where, &use_regex); !s.ok()) return s;
    if (use_regex) {
      auto pattern = SplitPattern::Create(internal::kGpt2SplitRegex);
      if (!pattern.ok()) return pattern.status();
      step.pattern = *std::move(pattern);
    }
  } else if (*type == "Split") {
    const auto pattern = pre.find("pattern");
    if (pattern == pre.end() || !pattern->is_object() || pattern->size() != 1 ||
        !pattern->begin()->is_string()) {
      return Invalid(where, ".pattern is ", pattern == pre.end() ? "missing" : Show(*pattern),
                     "; expected {\"Regex\": ...} or {\"String\": ...}");
    }
    const std::string kind = pattern->begin().key();
    const std::string text = pattern->begin()->get<std::string>();
    absl::StatusOr<std::unique_ptr<SplitPattern>> compiled;
    if (kind == "Regex") {
      compiled = SplitPattern::Create(text);
    } else if (kind == "String") {
      compiled = SplitPattern::Literal(text);
    } else {
      return Invalid(where, ".pattern is ", Show(*pattern),
                     "; expected {\"Regex\": ...} or {\"String\": ...}");
    }
    if (!compiled.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tokenizer.json: ", where, ".pattern: ", compiled.status().message()));
    }
    step.pattern = *std::move(compiled);
    const auto behavior = pre.find("behavior");
    const std::string name =
        behavior != pre.end() && behavior->is_string() ? behavior->get<std::string>() : "";
    static const std::pair<const char*, Behavior> kBehaviors[] = {
        {"Removed", Behavior::kRemoved},
        {"Isolated", Behavior::kIsolated},
        {"MergedWithPrevious", Behavior::kMergedWithPrevious},
        {"MergedWithNext", Behavior::kMergedWithNext},
        {"Contiguous", Behavior::kContiguous}};
    const auto* found = std::find_if(std::begin(kBehaviors), std::end(kBehaviors),
                                     [&](const auto& b) { return name == b.first; });
    if (found == std::end(kBehaviors)) {
      return Invalid(where, ".behavior is ", behavior == pre.end() ? "missing" : Show(*behavior),
                     "; expected Removed, Isolated, MergedWithPrevious, MergedWithNext or "
                     "Contiguous");
    }
    step.behavior = found->second;
    if (absl::Status s = OptionalBool(pre, "invert", where, &step.invert); !s.ok()) return s;
  } else {
    return Invalid(where, ".type is \"", *type,
                   "\"; only Sequence, Split and ByteLevel pre-tokenizers are supported");
  }
  steps_.push_back(std::move(step));
  return absl::OkStatus();
}

absl::Status BpeTokenizer::ParseDecoder(const Json& decoder, const std::string& where) {
  auto type = TypeOf(decoder, where);
  if (!type.ok()) return type.status();
  if (*type == "ByteLevel") return absl::OkStatus();
  if (*type == "Sequence") {
    const auto list = decoder.find("decoders");
    if (list == decoder.end() || !list->is_array()) {
      return Invalid(where, ".decoders is missing or not an array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      absl::Status s = ParseDecoder((*list)[i], absl::StrCat(where, ".decoders[", i, "]"));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  return Invalid(where, ".type is \"", *type, "\"; only a ByteLevel decoder is supported");
}

void BpeTokenizer::IndexAddedTokens() {
  for (const AddedToken& token : added_) {
    AddedTokenPass& pass = token.normalized ? normalized_ : unnormalized_;
    pass.by_first_byte[static_cast<uint8_t>(token.content[0])].push_back(&token);
    pass.empty = false;
  }
  for (AddedTokenPass* pass : {&unnormalized_, &normalized_}) {
    for (auto& list : pass->by_first_byte) {
      std::stable_sort(list.begin(), list.end(), [](const AddedToken* a, const AddedToken* b) {
        return a->content.size() > b->content.size();
      });
    }
  }
}

void BpeTokenizer::SplitAddedTokens(std::string_view text, const AddedTokenPass& pass,
                                    std::vector<Segment>* segments) const {
  if (pass.empty) return;
  std::vector<Segment> out;
  for (const Segment& segment : *segments) {
    if (segment.id >= 0) {
      out.push_back(segment);
      continue;
    }
    size_t pending = segment.begin;  // start of the text not yet emitted
    size_t i = segment.begin;
    while (i < segment.end) {
      const AddedToken* match = nullptr;
      for (const AddedToken* token : pass.by_first_byte[static_cast<uint8_t>(text[i])]) {
        if (token->content.size() <= segment.end - i &&
            text.compare(i, token->content.size(), token->content) == 0) {
          match = token;
          break;
        }
      }
      if (match == nullptr) {
        ++i;
        continue;
      }
      size_t begin = i;
      size_t end = i + match->content.size();
      i = end;
      if (match->single_word && (WordCharEndsAt(text, segment.begin, begin) ||
                                 (end < segment.end && WordCharStartsAt(text, end)))) {
        continue;  // inside a word: stays text
      }
      size_t len = 0;
      while (match->lstrip && begin > pending && SpaceEndsAt(text, pending, begin, &len)) {
        begin -= len;
      }
      char32_t cp = 0;
      while (match->rstrip && end < segment.end &&
             (len = internal::DecodeUtf8(text, end, &cp)) > 0 && internal::IsUnicodeSpace(cp)) {
        end += len;
      }
      if (begin > pending) out.push_back(Segment{pending, begin, -1});
      out.push_back(Segment{begin, end, match->id});
      pending = i = end;
    }
    if (pending < segment.end) out.push_back(Segment{pending, segment.end, -1});
  }
  *segments = std::move(out);
}

void BpeTokenizer::ApplyStep(const PreTokenizerStep& step, std::string_view piece,
                             std::vector<std::string>* out) const {
  std::string prefixed;
  if (step.byte_level && step.add_prefix_space && !piece.starts_with(' ')) {
    prefixed = " ";
    prefixed += piece;
    piece = prefixed;
  }
  if (step.pattern == nullptr) {
    out->emplace_back(piece);
    return;
  }
  size_t pos = 0;
  while (pos < piece.size()) {
    size_t end = pos;
    char32_t cp = 0;
    for (size_t len; (len = internal::DecodeUtf8(piece, end, &cp)) > 0;) end += len;
    if (end > pos) {
      SplitValid(step, piece.substr(pos, end - pos), out);
    } else {  // a run of bytes that are not UTF-8: one piece, never split or dropped
      while (end < piece.size() && internal::DecodeUtf8(piece, end, &cp) == 0) ++end;
      out->emplace_back(piece.substr(pos, end - pos));
    }
    pos = end;
  }
}

void BpeTokenizer::SplitValid(const PreTokenizerStep& step, std::string_view text,
                              std::vector<std::string>* out) const {
  std::vector<std::pair<size_t, size_t>> matches;
  step.pattern->FindMatches(text, &matches);
  struct Part {
    size_t begin;
    size_t end;
    bool is_match;
  };
  std::vector<Part> parts;
  size_t previous = 0;
  for (const auto& [begin, end] : matches) {
    if (begin > previous) parts.push_back(Part{previous, begin, step.invert});
    parts.push_back(Part{begin, end, !step.invert});
    previous = end;
  }
  if (previous < text.size()) parts.push_back(Part{previous, text.size(), step.invert});

  // HF's SplitDelimiterBehavior, over [begin, end) ranges.
  std::vector<std::pair<size_t, size_t>> ranges;
  bool previous_match = false;
  switch (step.behavior) {
    case Behavior::kIsolated:
      for (const Part& p : parts) ranges.emplace_back(p.begin, p.end);
      break;
    case Behavior::kRemoved:
      for (const Part& p : parts) {
        if (!p.is_match) ranges.emplace_back(p.begin, p.end);
      }
      break;
    case Behavior::kMergedWithPrevious:
      for (const Part& p : parts) {
        if (p.is_match && !previous_match && !ranges.empty()) {
          ranges.back().second = p.end;
        } else {
          ranges.emplace_back(p.begin, p.end);
        }
        previous_match = p.is_match;
      }
      break;
    case Behavior::kMergedWithNext:
      for (auto p = parts.rbegin(); p != parts.rend(); ++p) {
        if (p->is_match && !previous_match && !ranges.empty()) {
          ranges.back().first = p->begin;
        } else {
          ranges.emplace_back(p->begin, p->end);
        }
        previous_match = p->is_match;
      }
      std::reverse(ranges.begin(), ranges.end());
      break;
    case Behavior::kContiguous:
      for (const Part& p : parts) {
        if (p.is_match == previous_match && !ranges.empty()) {
          ranges.back().second = p.end;
        } else {
          ranges.emplace_back(p.begin, p.end);
        }
        previous_match = p.is_match;
      }
      break;
  }
  for (const auto& [begin, end] : ranges) {
    if (end > begin) out->emplace_back(text.substr(begin, end - begin));
  }
}

void BpeTokenizer::Bpe(std::string_view piece, std::vector<int32_t>* ids) const {
  if (ignore_merges_) {
    if (const auto it = bytes_to_id_.find(piece); it != bytes_to_id_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  const int n = static_cast<int>(piece.size());
  if (n == 1) {
    ids->push_back(byte_ids_[static_cast<uint8_t>(piece[0])]);
    return;
  }
  // Symbols form a linked list over the byte positions; a merge keeps the left one.
  struct Symbol {
    int32_t id;
    int prev;
    int next;  // n at the end
    bool alive;
  };
  std::vector<Symbol> symbols(n);
  for (int i = 0; i < n; ++i) {
    symbols[i] = Symbol{byte_ids_[static_cast<uint8_t>(piece[i])], i - 1, i + 1, true};
  }
  struct Candidate {
    int32_t rank;
    int pos;  // the left symbol
    int32_t left;
    int32_t right;
    int32_t merged;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  const auto consider = [&](int left) {
    if (left < 0) return;
    const int right = symbols[left].next;
    if (right >= n) return;
    const auto it = merges_.find(PairKey(symbols[left].id, symbols[right].id));
    if (it == merges_.end()) return;
    queue.push(
        Candidate{it->second.rank, left, symbols[left].id, symbols[right].id, it->second.id});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& left = symbols[c.pos];
    // Stale when either side has changed since the candidate was queued.
    if (!left.alive || left.id != c.left || left.next >= n || symbols[left.next].id != c.right) {
      continue;
    }
    Symbol& right = symbols[left.next];
    left.id = c.merged;
    right.alive = false;
    left.next = right.next;
    if (left.next < n) symbols[left.next].prev = c.pos;
    consider(left.prev);
    consider(c.pos);
  }
  for (int i = 0; i < n; i = symbols[i].next) ids->push_back(symbols[i].id);
}

std::vector<int32_t> BpeTokenizer::Encode(std::string_view text) const {
  std::vector<Segment> segments = {Segment{0, text.size(), -1}};
  SplitAddedTokens(text, unnormalized_, &segments);
  SplitAddedTokens(text, normalized_, &segments);
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  std::vector<std::string> pieces;
  std::vector<std::string> next;
  for (const Segment& segment : segments) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
      continue;
    }
    if (segment.end == segment.begin) continue;
    pieces.clear();
    pieces.emplace_back(text.substr(segment.begin, segment.end - segment.begin));
    for (const PreTokenizerStep& step : steps_) {
      next.clear();
      for (const std::string& piece : pieces) ApplyStep(step, piece, &next);
      pieces.swap(next);
    }
    for (const std::string& piece : pieces) Bpe(piece, &ids);
  }
  return ids;
}

std::string BpeTokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (const int32_t id : ids) {
    if (id >= 0 && id < vocab_size()) out += id_bytes_[id];
  }
  return out;
}

std::string BpeTokenizer::TokenBytes(int32_t id) const {
  return id >= 0 && id < vocab_size() ? id_bytes_[id] : std::string();
}

std::optional<int32_t> BpeTokenizer::TokenId(std::string_view content) const {
  if (const auto it = added_ids_.find(content); it != added_ids_.end()) return it->second;
  if (const auto it = vocab_.find(content); it != vocab_.end()) return it->second;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromJson(std::string_view json) {
  Json root;
  try {
    root = Json::parse(json.begin(), json.end());
  } catch (const Json::exception& e) {
    return Invalid("not valid JSON: ", e.what());
  }
  try {
    return BpeTokenizer::Parse(root);
  } catch (const Json::exception& e) {  // a type the checks above missed
    return Invalid("unexpected structure: ", e.what());
  }
}

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::Load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open tokenizer file \"", path, "\""));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return absl::DataLossError(absl::StrCat("cannot read \"", path, "\""));
  auto tokenizer = FromJson(text.str());
  if (!tokenizer.ok()) {
    return absl::Status(tokenizer.status().code(),
                        absl::StrCat(path, ": ", tokenizer.status().message()));
  }
  return tokenizer;
}

}  // namespace rlvr::model
