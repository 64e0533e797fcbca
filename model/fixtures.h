// Test and benchmark fixtures: random-weight models written as real checkpoints, and a small
// byte-level BPE tokenizer.json. Nothing is downloaded.
#ifndef RLVR_MODEL_FIXTURES_H_
#define RLVR_MODEL_FIXTURES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "model/config.h"
#include "model/tensor.h"
#include "model/weights.h"

namespace rlvr::model {

// A tiny Llama-style config: vocab `vocab`, hidden 64, intermediate 128, 2 layers, 4 heads of 16,
// 2 kv heads (GQA), untied; bos `vocab` - 2 and eos `vocab` - 1.
ModelConfig TinyConfig(int64_t vocab = 320);
// The "100M" benchmark model: hidden 768, intermediate 2048, 12 layers, 12 heads, 4 kv heads,
// vocab 32000, tied embeddings (as Llama 3.2 1B): 100,092,672 parameters (24,576,000 of them the
// embedding, which is also the output matrix).
ModelConfig Config100M();

// Random weights for `config`, which must be valid (aborts otherwise): norms uniform in
// [0.9, 1.1], biases ~ N(0, 0.1²), every other matrix ~ N(0, 1/fan_in) (fan_in = shape[1]).
// Deterministic in `seed`; each tensor's values depend only on the seed and the tensor's name.
ModelWeights RandomWeights(const ModelConfig& config, uint64_t seed);

// Writes config.json and the safetensors checkpoint (`shards` files, stored as `dtype`) to `dir`,
// creating it.
absl::Status WriteModelDir(const std::string& dir, const ModelWeights& weights, DType dtype,
                           int shards);

// tokenizer.json text of a small byte-level BPE tokenizer (GPT-2 / Llama 3 style pre-tokenizer,
// 256 byte tokens, a few hundred merges learned from a fixed English + code corpus, and the added
// special tokens <|begin_of_text|>, <|end_of_text|>). Vocabulary size is returned in `vocab_size`.
std::string TestTokenizerJson(int64_t* vocab_size = nullptr);

}  // namespace rlvr::model

#endif  // RLVR_MODEL_FIXTURES_H_
