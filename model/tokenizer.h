// Tokenizer: Hugging Face `tokenizer.json` byte-level BPE (GPT-2, Llama 3, Qwen2 family).
// Pre-tokenizer split pattern run with RE2, byte-to-unicode mapping, merges by rank, added and
// special tokens matched verbatim before BPE. Decode returns the exact bytes encoded.
// Limits: only BPE models; an NFC normalizer is accepted and applied as the identity (non-NFC input
// is tokenized as given); Encode adds no BOS/EOS (the post_processor is ignored: put special tokens
// in the text); invalid UTF-8 bytes are encoded as pieces of their own.
#ifndef RLVR_MODEL_TOKENIZER_H_
#define RLVR_MODEL_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rlvr::model {

class Tokenizer {
 public:
  // Parses tokenizer.json text. INVALID_ARGUMENT names what is unsupported or malformed
  // (model type other than BPE, a merge naming an unknown token, a bad split regex...).
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromJson(std::string_view json);
  // Reads `path` (a tokenizer.json file).
  static absl::StatusOr<std::unique_ptr<Tokenizer>> Load(const std::string& path);
  virtual ~Tokenizer() = default;

  // Token ids of `text`. Added/special tokens that occur verbatim in the text become their ids.
  // Never fails: every byte sequence (invalid UTF-8 included) has an encoding.
  virtual std::vector<int32_t> Encode(std::string_view text) const = 0;
  // The bytes of `ids` concatenated (special tokens as their content). Ids out of range decode
  // to nothing; callers validate ids first with vocab_size().
  virtual std::string Decode(const std::vector<int32_t>& ids) const = 0;
  // Bytes of one token.
  virtual std::string TokenBytes(int32_t id) const = 0;
  // Id of a token as tokenizer.json spells it (byte-level form, e.g. "Ġthe" for " the") or of an
  // added token by its content, if any.
  virtual std::optional<int32_t> TokenId(std::string_view content) const = 0;
  // Largest id + 1 over the vocabulary and added tokens.
  virtual int32_t vocab_size() const = 0;
};

}  // namespace rlvr::model

#endif  // RLVR_MODEL_TOKENIZER_H_
