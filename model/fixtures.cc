#include "model/fixtures.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "model/safetensors.h"

namespace rlvr::model {
namespace {

// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast generator, good enough for test weights.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in (-1, 1).
  double Symmetric() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1p-52 - 1.0; }

 private:
  uint64_t state_;
};

uint64_t HashName(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (unsigned char ch : name) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

// Standard normals by Marsaglia's polar method (no trigonometry; ~21% of pairs rejected).
void FillNormal(SplitMix64& rng, double stddev, std::vector<float>* out) {
  for (size_t i = 0; i < out->size();) {
    double u, v, s;
    do {
      u = rng.Symmetric();
      v = rng.Symmetric();
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double m = stddev * std::sqrt(-2.0 * std::log(s) / s);
    (*out)[i++] = static_cast<float>(u * m);
    if (i < out->size()) (*out)[i++] = static_cast<float>(v * m);
  }
}

}  // namespace

ModelConfig TinyConfig(int64_t vocab) {
  ModelConfig c;
  c.architecture = "LlamaForCausalLM";
  c.vocab_size = vocab;
  c.hidden_size = 64;
  c.intermediate_size = 128;
  c.num_layers = 2;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 16;
  c.max_position_embeddings = 2048;
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 10000.0;
  c.tie_word_embeddings = false;
  c.bos_token_id = vocab >= 2 ? vocab - 2 : -1;
  if (vocab >= 1) c.eos_token_ids = {vocab - 1};
  c.torch_dtype = "float32";
  return c;
}

ModelConfig Config100M() {
  ModelConfig c;
  c.architecture = "LlamaForCausalLM";
  c.vocab_size = 32000;
  c.hidden_size = 768;
  c.intermediate_size = 2048;
  c.num_layers = 12;
  c.num_heads = 12;
  c.num_kv_heads = 4;
  c.head_dim = 64;
  c.max_position_embeddings = 4096;
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 10000.0;
  c.tie_word_embeddings = true;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  c.torch_dtype = "bfloat16";
  return c;
}

ModelWeights RandomWeights(const ModelConfig& config, uint64_t seed) {
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, shape] : ExpectedTensorShapes(config)) {
    Tensor t;
    t.shape = shape;
    t.data.resize(static_cast<size_t>(t.numel()));
    // Each tensor has its own stream, so its values depend only on the seed and its name.
    SplitMix64 rng(seed ^ HashName(name));
    if (absl::EndsWith(name, "norm.weight")) {
      for (float& v : t.data) v = static_cast<float>(1.0 + 0.1 * rng.Symmetric());
    } else if (absl::EndsWith(name, ".bias")) {
      FillNormal(rng, 0.1, &t.data);
    } else {
      FillNormal(rng, 1.0 / std::sqrt(static_cast<double>(shape[1])), &t.data);
    }
    tensors.emplace(name, std::move(t));
  }
  absl::StatusOr<ModelWeights> weights = WeightsFromTensors(config, std::move(tensors));
  if (!weights.ok()) {
    std::fprintf(stderr, "RandomWeights: %s\n", std::string(weights.status().message()).c_str());
    std::abort();  // a caller bug: the config must be valid
  }
  return *std::move(weights);
}

absl::Status WriteModelDir(const std::string& dir, const ModelWeights& weights, DType dtype,
                           int shards) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const std::string config_path = dir + "/config.json";
  const std::string text = ModelConfigToJson(weights.config);
  FILE* f = std::fopen(config_path.c_str(), "wb");
  if (f == nullptr) return absl::PermissionDeniedError(absl::StrCat("cannot create ", config_path));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok)
    return absl::DataLossError(absl::StrCat("cannot write ", config_path));
  return WriteCheckpointTensors(dir, WeightsToTensors(weights), dtype, shards);
}

}  // namespace rlvr::model
