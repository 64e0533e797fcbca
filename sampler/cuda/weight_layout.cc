#include "sampler/cuda/weight_layout.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace rlvr::sampler::cuda {
namespace {

constexpr int64_t kAlignFloats = 64;  // 256 bytes

absl::Status CheckShape(const model::Tensor& tensor, const std::vector<int64_t>& expected,
                        const std::string& name) {
  int64_t numel = 1;
  for (int64_t d : expected) numel *= d;
  if (tensor.shape != expected || static_cast<int64_t>(tensor.data.size()) != numel) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " has shape ", tensor.ShapeString(), " and ", tensor.data.size(),
                     " values; the config implies [", absl::StrJoin(expected, ", "), "]"));
  }
  return absl::OkStatus();
}

class Builder {
 public:
  explicit Builder(WeightLayout* layout) : layout_(layout) {}
  // Starts a new aligned region and returns its offset.
  int64_t Align() {
    layout_->total_floats =
        (layout_->total_floats + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
    return layout_->total_floats;
  }
  // Appends `data` right after the previous piece.
  void Append(const std::vector<float>& data) {
    layout_->pieces.push_back(
        {data.data(), static_cast<int64_t>(data.size()), layout_->total_floats});
    layout_->total_floats += static_cast<int64_t>(data.size());
  }

 private:
  WeightLayout* layout_;
};

}  // namespace

absl::StatusOr<WeightLayout> LayoutWeights(const model::ModelWeights& weights,
                                           const std::vector<float>& inv_freq) {
  const model::ModelConfig& c = weights.config;
  RETURN_IF_ERROR(CheckConfig(c));
  const int64_t hidden = c.hidden_size, inter = c.intermediate_size;
  const int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
  if (static_cast<int64_t>(weights.layers.size()) != c.num_layers) {
    return absl::InvalidArgumentError(absl::StrCat("the weights have ", weights.layers.size(),
                                                   " layers; the config has ", c.num_layers));
  }
  if (static_cast<int64_t>(inv_freq.size()) != c.head_dim / 2) {
    return absl::InvalidArgumentError(absl::StrCat("the RoPE table has ", inv_freq.size(),
                                                   " frequencies; head_dim ", c.head_dim, " needs ",
                                                   c.head_dim / 2));
  }
  RETURN_IF_ERROR(CheckShape(weights.embed, {c.vocab_size, hidden}, "embed"));
  RETURN_IF_ERROR(CheckShape(weights.final_norm, {hidden}, "final_norm"));
  const bool tied = weights.lm_head.data.empty();
  if (!tied) RETURN_IF_ERROR(CheckShape(weights.lm_head, {c.vocab_size, hidden}, "lm_head"));
  for (size_t i = 0; i < weights.layers.size(); ++i) {
    const model::LayerWeights& w = weights.layers[i];
    const std::string layer = absl::StrCat("layer ", i, " ");
    RETURN_IF_ERROR(CheckShape(w.input_norm, {hidden}, layer + "input_norm"));
    RETURN_IF_ERROR(CheckShape(w.q_proj, {q_dim, hidden}, layer + "q_proj"));
    RETURN_IF_ERROR(CheckShape(w.k_proj, {kv_dim, hidden}, layer + "k_proj"));
    RETURN_IF_ERROR(CheckShape(w.v_proj, {kv_dim, hidden}, layer + "v_proj"));
    RETURN_IF_ERROR(CheckShape(w.o_proj, {hidden, q_dim}, layer + "o_proj"));
    RETURN_IF_ERROR(CheckShape(w.post_norm, {hidden}, layer + "post_norm"));
    RETURN_IF_ERROR(CheckShape(w.gate_proj, {inter, hidden}, layer + "gate_proj"));
    RETURN_IF_ERROR(CheckShape(w.up_proj, {inter, hidden}, layer + "up_proj"));
    RETURN_IF_ERROR(CheckShape(w.down_proj, {hidden, inter}, layer + "down_proj"));
    const bool has_bias =
        !w.q_bias.data.empty() || !w.k_bias.data.empty() || !w.v_bias.data.empty();
    if (c.attention_bias) {
      RETURN_IF_ERROR(CheckShape(w.q_bias, {q_dim}, layer + "q_bias"));
      RETURN_IF_ERROR(CheckShape(w.k_bias, {kv_dim}, layer + "k_bias"));
      RETURN_IF_ERROR(CheckShape(w.v_bias, {kv_dim}, layer + "v_bias"));
    } else if (has_bias) {
      return absl::InvalidArgumentError(layer +
                                        "has q/k/v biases but the config has no attention_bias");
    }
  }

  WeightLayout layout;
  Builder b(&layout);
  layout.embed = b.Align();
  b.Append(weights.embed.data);
  layout.final_norm = b.Align();
  b.Append(weights.final_norm.data);
  layout.output = layout.embed;
  if (!tied) {
    layout.output = b.Align();
    b.Append(weights.lm_head.data);
  }
  layout.inv_freq = b.Align();
  b.Append(inv_freq);
  for (const model::LayerWeights& w : weights.layers) {
    WeightLayout::Layer l;
    l.input_norm = b.Align();
    b.Append(w.input_norm.data);
    l.qkv = b.Align();
    b.Append(w.q_proj.data);
    b.Append(w.k_proj.data);
    b.Append(w.v_proj.data);
    if (c.attention_bias) {
      l.qkv_bias = b.Align();
      b.Append(w.q_bias.data);
      b.Append(w.k_bias.data);
      b.Append(w.v_bias.data);
    }
    l.o = b.Align();
    b.Append(w.o_proj.data);
    l.post_norm = b.Align();
    b.Append(w.post_norm.data);
    l.gate_up = b.Align();
    b.Append(w.gate_proj.data);
    b.Append(w.up_proj.data);
    l.down = b.Align();
    b.Append(w.down_proj.data);
    layout.layers.push_back(l);
  }
  b.Align();
  return layout;
}

ModelPointers PointersInto(const WeightLayout& layout, const float* base) {
  ModelPointers p;
  p.embed = base + layout.embed;
  p.final_norm = base + layout.final_norm;
  p.output = base + layout.output;
  p.inv_freq = base + layout.inv_freq;
  for (const WeightLayout::Layer& l : layout.layers) {
    LayerPointers lp;
    lp.input_norm = base + l.input_norm;
    lp.qkv = base + l.qkv;
    lp.qkv_bias = l.qkv_bias < 0 ? nullptr : base + l.qkv_bias;
    lp.o = base + l.o;
    lp.post_norm = base + l.post_norm;
    lp.gate_up = base + l.gate_up;
    lp.down = base + l.down;
    p.layers.push_back(lp);
  }
  return p;
}

}  // namespace rlvr::sampler::cuda
