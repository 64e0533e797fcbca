#include "sampler/cuda/forward.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace rlvr::sampler::cuda {
namespace {

constexpr int64_t kAlignFloats = 64;  // 256 bytes

int64_t Aligned(int64_t floats) {
  return (floats + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
}

int64_t QkvDim(const model::ModelConfig& c) {
  return (c.num_heads + 2 * c.num_kv_heads) * c.head_dim;
}

// Walks the activation buffers in order; with base == nullptr it only counts.
int64_t LayOut(float* base, const model::ModelConfig& c, int rows, int chunks, int num_splits,
               Activations* act) {
  int64_t at = 0;
  auto take = [&](int64_t floats) {
    float* ptr = base == nullptr ? nullptr : base + at;
    at += Aligned(floats);
    return ptr;
  };
  Activations a;
  a.x = take(int64_t{rows} * c.hidden_size);
  a.normed = take(int64_t{rows} * c.hidden_size);
  a.qkv = take(rows * QkvDim(c));
  a.attn = take(rows * c.num_heads * c.head_dim);
  a.gate_up = take(rows * 2 * c.intermediate_size);
  a.act = take(rows * c.intermediate_size);
  a.last = take(int64_t{chunks} * c.hidden_size);
  a.logits = take(int64_t{chunks} * c.vocab_size);
  if (num_splits > 1) {
    a.partials = take(AttentionPartialFloats(rows, static_cast<int>(c.num_heads),
                                             static_cast<int>(c.head_dim), num_splits));
  }
  if (act != nullptr) *act = a;
  return at;
}

}  // namespace

int64_t ActivationFloats(const model::ModelConfig& config, int rows, int chunks, int num_splits) {
  return LayOut(nullptr, config, rows, chunks, num_splits, nullptr);
}

Activations CarveActivations(float* base, const model::ModelConfig& config, int rows, int chunks,
                             int num_splits) {
  Activations act;
  LayOut(base, config, rows, chunks, num_splits, &act);
  return act;
}

absl::Status CheckConfig(const model::ModelConfig& c) {
  const std::pair<const char*, int64_t> sizes[] = {{"vocab_size", c.vocab_size},
                                                   {"hidden_size", c.hidden_size},
                                                   {"intermediate_size", c.intermediate_size},
                                                   {"num_layers", c.num_layers},
                                                   {"num_heads", c.num_heads},
                                                   {"num_kv_heads", c.num_kv_heads},
                                                   {"head_dim", c.head_dim}};
  constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();
  for (const auto& [name, value] : sizes) {
    if (value <= 0 || value > kMaxInt)
      return absl::InvalidArgumentError(absl::StrCat(name, " is ", value));
  }
  if (c.num_heads % c.num_kv_heads != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "num_heads ", c.num_heads, " is not a multiple of num_kv_heads ", c.num_kv_heads));
  }
  if (c.head_dim % 4 != 0 || c.head_dim > kMaxHeadDim) {
    return absl::InvalidArgumentError(
        absl::StrCat("head_dim is ", c.head_dim, "; the CUDA backend needs a multiple of 4 up to ",
                     kMaxHeadDim));
  }
  if (QkvDim(c) > kMaxInt || 2 * c.intermediate_size > kMaxInt) {
    return absl::InvalidArgumentError(absl::StrCat("projection sizes ", QkvDim(c), " and ",
                                                   2 * c.intermediate_size, " exceed int32"));
  }
  if (!(c.rms_norm_eps >= 0.0) || !std::isfinite(c.rms_norm_eps)) {
    return absl::InvalidArgumentError(absl::StrCat("rms_norm_eps is ", c.rms_norm_eps));
  }
  return absl::OkStatus();
}

KvGeometry KvGeometryFor(const model::ModelConfig& config, int page_size) {
  KvGeometry kv;
  kv.num_layers = static_cast<int>(config.num_layers);
  kv.page_size = page_size;
  kv.num_kv_heads = static_cast<int>(config.num_kv_heads);
  kv.head_dim = static_cast<int>(config.head_dim);
  return kv;
}

GemmCall LinearGemm(float* y, const float* x, const float* w, int rows, int out_features,
                    int in_features, bool accumulate) {
  GemmCall call;
  call.trans_a = Transpose::kYes;
  call.trans_b = Transpose::kNo;
  call.m = out_features;
  call.n = rows;
  call.k = in_features;
  call.a = w;
  call.lda = in_features;
  call.b = x;
  call.ldb = in_features;
  call.beta = accumulate ? 1.0f : 0.0f;
  call.c = y;
  call.ldc = out_features;
  return call;
}

absl::Status RunForward(Device& device, const model::ModelConfig& config,
                        const ModelPointers& weights, const ForwardBatch& batch, float* cache,
                        const KvGeometry& kv, const Activations& act) {
  const int rows = batch.rows.rows;
  const int hidden = static_cast<int>(config.hidden_size);
  const int inter = static_cast<int>(config.intermediate_size);
  const int heads = static_cast<int>(config.num_heads);
  const int kv_heads = static_cast<int>(config.num_kv_heads);
  const int head_dim = kv.head_dim;
  const int qkv_dim = static_cast<int>(QkvDim(config));
  const int q_dim = heads * head_dim;
  const float eps = static_cast<float>(config.rms_norm_eps);
  if (rows == 0) return absl::OkStatus();

  RETURN_IF_ERROR(device.GatherRows(act.x, weights.embed, batch.tokens, rows, hidden));
  for (int l = 0; l < static_cast<int>(weights.layers.size()); ++l) {
    const LayerPointers& w = weights.layers[l];
    // Attention block.
    RETURN_IF_ERROR(device.RmsNorm(act.normed, act.x, w.input_norm, rows, hidden, eps));
    RETURN_IF_ERROR(
        device.Gemm(LinearGemm(act.qkv, act.normed, w.qkv, rows, qkv_dim, hidden, false)));
    if (w.qkv_bias != nullptr) RETURN_IF_ERROR(device.AddBias(act.qkv, w.qkv_bias, rows, qkv_dim));
    RETURN_IF_ERROR(device.Rope(act.qkv, qkv_dim, weights.inv_freq, batch.rows.positions, rows,
                                heads + kv_heads, head_dim));
    const float* k = act.qkv + q_dim;
    const float* v = k + int64_t{kv_heads} * head_dim;
    RETURN_IF_ERROR(device.StoreKv(cache, kv, l, k, v, qkv_dim, batch.rows));
    PagedAttentionArgs attention;
    attention.out = act.attn;
    attention.out_stride = q_dim;
    attention.q = act.qkv;
    attention.q_stride = qkv_dim;
    attention.cache = cache;
    attention.kv = kv;
    attention.layer = l;
    attention.batch = batch.rows;
    attention.num_heads = heads;
    attention.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
    RETURN_IF_ERROR(device.PagedAttention(attention, batch.split, act.partials));
    RETURN_IF_ERROR(device.Gemm(LinearGemm(act.x, act.attn, w.o, rows, hidden, q_dim, true)));
    // MLP block.
    RETURN_IF_ERROR(device.RmsNorm(act.normed, act.x, w.post_norm, rows, hidden, eps));
    RETURN_IF_ERROR(device.Gemm(
        LinearGemm(act.gate_up, act.normed, w.gate_up, rows, 2 * inter, hidden, false)));
    RETURN_IF_ERROR(device.SwiGlu(act.act, act.gate_up, rows, inter));
    RETURN_IF_ERROR(device.Gemm(LinearGemm(act.x, act.act, w.down, rows, hidden, inter, true)));
  }
  RETURN_IF_ERROR(device.GatherRows(act.last, act.x, batch.last_rows, batch.chunks, hidden));
  RETURN_IF_ERROR(
      device.RmsNorm(act.last, act.last, weights.final_norm, batch.chunks, hidden, eps));
  return device.Gemm(LinearGemm(act.logits, act.last, weights.output, batch.chunks,
                                static_cast<int>(config.vocab_size), hidden, false));
}

}  // namespace rlvr::sampler::cuda
