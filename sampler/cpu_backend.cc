#include "sampler/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "sampler/parallel_for.h"

namespace rlvr::sampler {
namespace {

class CpuWeights : public LoadedWeights {
 public:
  CpuWeights(const model::ModelWeights& w, uint64_t version) : LoadedWeights(w.config, version), w_(w) {}
  const model::ModelWeights& w() const { return w_; }

 private:
  model::ModelWeights w_;
};

// x[i] = x[i] / rms(x) * g[i] for each of `rows` rows of `dim`.
void RmsNorm(const float* x, const float* g, int64_t rows, int64_t dim, double eps, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* o = out + r * dim;
    double ss = 0;
    for (int64_t i = 0; i < dim; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(dim) + eps));
    for (int64_t i = 0; i < dim; ++i) o[i] = xr[i] * inv * g[i];
  }
}

class CpuBackend : public Backend {
 public:
  CpuBackend(int threads, MatmulKernel kernel)
      : workers_(threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency())), kernel_(kernel) {}

  std::string name() const override { return "cpu"; }

  absl::StatusOr<std::shared_ptr<const LoadedWeights>> Load(const model::ModelWeights& weights,
                                                            uint64_t version) override {
    if (allocated_) {
      const model::ModelConfig& c = weights.config;
      if (c.num_layers != config_.num_layers || c.num_kv_heads != config_.num_kv_heads ||
          c.head_dim != config_.head_dim) {
        return absl::InvalidArgumentError(absl::StrCat(
            "weights have ", c.num_layers, " layers x ", c.num_kv_heads, " kv heads x ", c.head_dim,
            " head_dim; the KV cache was made for ", config_.num_layers, " x ", config_.num_kv_heads, " x ",
            config_.head_dim));
      }
    }
    return std::make_shared<CpuWeights>(weights, version);
  }

  absl::Status AllocateKv(const model::ModelConfig& config, int64_t num_pages, int64_t page_size) override {
    if (num_pages <= 0 || page_size <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("KV cache of ", num_pages, " pages of ", page_size, " positions"));
    }
    config_ = config;
    num_pages_ = num_pages;
    page_size_ = page_size;
    kv_dim_ = config.num_kv_heads * config.head_dim;
    const int64_t floats = config.num_layers * num_pages * page_size * kv_dim_;
    try {
      k_.assign(static_cast<size_t>(floats), 0.0f);
      v_.assign(static_cast<size_t>(floats), 0.0f);
    } catch (const std::bad_alloc&) {
      return absl::ResourceExhaustedError(absl::StrCat("KV cache of ", 2 * floats * 4, " bytes"));
    }
    inv_freq_ = model::RopeInverseFrequencies(config);
    allocated_ = true;
    return absl::OkStatus();
  }

  int64_t PageBytes() const override {
    return 2 * config_.num_layers * page_size_ * kv_dim_ * static_cast<int64_t>(sizeof(float));
  }

  void CopyPage(int32_t from, int32_t to) override {
    const int64_t page_floats = page_size_ * kv_dim_;
    for (int64_t l = 0; l < config_.num_layers; ++l) {
      std::copy_n(k_.data() + Offset(l, from, 0), page_floats, k_.data() + Offset(l, to, 0));
      std::copy_n(v_.data() + Offset(l, from, 0), page_floats, v_.data() + Offset(l, to, 0));
    }
  }

  absl::Status Forward(const LoadedWeights& loaded, const std::vector<SequenceChunk>& chunks,
                       std::vector<float>* logits) override;

 private:
  int64_t Offset(int64_t layer, int64_t page, int64_t slot) const {
    return ((layer * num_pages_ + page) * page_size_ + slot) * kv_dim_;
  }
  void Matmul(const float* x, int64_t m, const model::Tensor& w, float* y) {
    MatmulTransposed(kernel_, x, m, w.data.data(), w.shape[0], w.shape[1], y, workers_);
  }
  void Rope(float* v, int64_t heads, int64_t pos) const;

  WorkerGroup workers_;
  MatmulKernel kernel_;
  bool allocated_ = false;
  model::ModelConfig config_;
  int64_t num_pages_ = 0, page_size_ = 0, kv_dim_ = 0;
  std::vector<float> k_, v_;  // [layer][page][slot][kv_heads * head_dim]
  std::vector<float> inv_freq_;
  // Step buffers, kept to avoid reallocation.
  std::vector<float> x_, xn_, q_, kk_, vv_, att_, o_, gate_, up_;
};

// Rotates each head's pairs (i, i + head_dim / 2) by pos * inv_freq[i] (HF rotate_half).
void CpuBackend::Rope(float* v, int64_t heads, int64_t pos) const {
  const int64_t hd = config_.head_dim, half = hd / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double angle = static_cast<double>(pos) * inv_freq_[static_cast<size_t>(i)];
    const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
    for (int64_t h = 0; h < heads; ++h) {
      float* head = v + h * hd;
      const float a = head[i], b = head[i + half];
      head[i] = a * c - b * s;
      head[i + half] = b * c + a * s;
    }
  }
}

absl::Status CpuBackend::Forward(const LoadedWeights& loaded, const std::vector<SequenceChunk>& chunks,
                                 std::vector<float>* logits) {
  if (!allocated_) return absl::FailedPreconditionError("Forward before AllocateKv");
  const model::ModelWeights& w = static_cast<const CpuWeights&>(loaded).w();
  const model::ModelConfig& c = w.config;
  const int64_t hidden = c.hidden_size, hd = c.head_dim, nh = c.num_heads, nkv = c.num_kv_heads;
  const int64_t qdim = nh * hd, inter = c.intermediate_size, vocab = c.vocab_size;

  // Row r of the step is token `tokens[r]` of chunk `chunk_of[r]` at position `pos[r]`.
  std::vector<int64_t> chunk_of, pos;
  std::vector<int32_t> tokens;
  std::vector<int64_t> last_row;
  for (size_t ci = 0; ci < chunks.size(); ++ci) {
    const SequenceChunk& ch = chunks[ci];
    const int64_t end = ch.start_pos + static_cast<int64_t>(ch.tokens.size());
    if (ch.tokens.empty() || ch.start_pos < 0 || (end + page_size_ - 1) / page_size_ > static_cast<int64_t>(ch.pages.size())) {
      return absl::InvalidArgumentError(absl::StrCat("chunk ", ci, ": ", ch.tokens.size(), " tokens from position ",
                                                     ch.start_pos, " with ", ch.pages.size(), " pages"));
    }
    for (size_t t = 0; t < ch.tokens.size(); ++t) {
      if (ch.tokens[t] < 0 || ch.tokens[t] >= vocab) {
        return absl::InvalidArgumentError(absl::StrCat("chunk ", ci, ": token id ", ch.tokens[t],
                                                       " is outside the vocabulary [0, ", vocab, ")"));
      }
      chunk_of.push_back(static_cast<int64_t>(ci));
      pos.push_back(ch.start_pos + static_cast<int64_t>(t));
      tokens.push_back(ch.tokens[t]);
    }
    last_row.push_back(static_cast<int64_t>(tokens.size()) - 1);
  }
  const int64_t rows = static_cast<int64_t>(tokens.size());

  x_.resize(static_cast<size_t>(rows * hidden));
  xn_.resize(x_.size());
  q_.resize(static_cast<size_t>(rows * qdim));
  kk_.resize(static_cast<size_t>(rows * kv_dim_));
  vv_.resize(kk_.size());
  att_.resize(q_.size());
  o_.resize(x_.size());
  gate_.resize(static_cast<size_t>(rows * inter));
  up_.resize(gate_.size());
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(w.embed.data.data() + tokens[static_cast<size_t>(r)] * hidden, hidden, x_.data() + r * hidden);
  }

  const int64_t group = nh / nkv;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const model::LayerWeights& lw = w.layers[static_cast<size_t>(l)];
    RmsNorm(x_.data(), lw.input_norm.data.data(), rows, hidden, c.rms_norm_eps, xn_.data());
    Matmul(xn_.data(), rows, lw.q_proj, q_.data());
    Matmul(xn_.data(), rows, lw.k_proj, kk_.data());
    Matmul(xn_.data(), rows, lw.v_proj, vv_.data());
    for (int64_t r = 0; r < rows; ++r) {
      if (!lw.q_bias.data.empty()) {
        for (int64_t i = 0; i < qdim; ++i) q_[r * qdim + i] += lw.q_bias.data[i];
        for (int64_t i = 0; i < kv_dim_; ++i) kk_[r * kv_dim_ + i] += lw.k_bias.data[i];
        for (int64_t i = 0; i < kv_dim_; ++i) vv_[r * kv_dim_ + i] += lw.v_bias.data[i];
      }
      Rope(q_.data() + r * qdim, nh, pos[r]);
      Rope(kk_.data() + r * kv_dim_, nkv, pos[r]);
      const SequenceChunk& ch = chunks[static_cast<size_t>(chunk_of[r])];
      const int64_t page = ch.pages[static_cast<size_t>(pos[r] / page_size_)];
      std::copy_n(kk_.data() + r * kv_dim_, kv_dim_, k_.data() + Offset(l, page, pos[r] % page_size_));
      std::copy_n(vv_.data() + r * kv_dim_, kv_dim_, v_.data() + Offset(l, page, pos[r] % page_size_));
    }
    // Attention: one task per (row, head), over positions [0, pos] read from the pages.
    workers_.For(rows * nh, [&](int64_t begin, int64_t end) {
      std::vector<float> scores;
      for (int64_t task = begin; task < end; ++task) {
        const int64_t r = task / nh, h = task % nh, kvh = h / group;
        const SequenceChunk& ch = chunks[static_cast<size_t>(chunk_of[r])];
        const float* qv = q_.data() + r * qdim + h * hd;
        const int64_t n = pos[r] + 1;
        scores.resize(static_cast<size_t>(n));
        float mx = -INFINITY;
        for (int64_t p = 0; p < n; ++p) {
          const float* kv = k_.data() + Offset(l, ch.pages[static_cast<size_t>(p / page_size_)], p % page_size_) + kvh * hd;
          float s = 0;
          for (int64_t i = 0; i < hd; ++i) s += qv[i] * kv[i];
          s *= scale;
          scores[static_cast<size_t>(p)] = s;
          mx = std::max(mx, s);
        }
        float sum = 0;
        for (float& s : scores) {
          s = std::exp(s - mx);
          sum += s;
        }
        float* out = att_.data() + r * qdim + h * hd;
        std::fill_n(out, hd, 0.0f);
        for (int64_t p = 0; p < n; ++p) {
          const float* vv = v_.data() + Offset(l, ch.pages[static_cast<size_t>(p / page_size_)], p % page_size_) + kvh * hd;
          const float a = scores[static_cast<size_t>(p)] / sum;
          for (int64_t i = 0; i < hd; ++i) out[i] += a * vv[i];
        }
      }
    });
    Matmul(att_.data(), rows, lw.o_proj, o_.data());
    for (size_t i = 0; i < x_.size(); ++i) x_[i] += o_[i];

    RmsNorm(x_.data(), lw.post_norm.data.data(), rows, hidden, c.rms_norm_eps, xn_.data());
    Matmul(xn_.data(), rows, lw.gate_proj, gate_.data());
    Matmul(xn_.data(), rows, lw.up_proj, up_.data());
    for (size_t i = 0; i < gate_.size(); ++i) {
      const float g = gate_[i];
      gate_[i] = g / (1.0f + std::exp(-g)) * up_[i];
    }
    Matmul(gate_.data(), rows, lw.down_proj, o_.data());
    for (size_t i = 0; i < x_.size(); ++i) x_[i] += o_[i];
  }

  // Only each chunk's last position needs logits.
  const int64_t out_rows = static_cast<int64_t>(chunks.size());
  std::vector<float> last(static_cast<size_t>(out_rows * hidden));
  for (int64_t i = 0; i < out_rows; ++i) {
    RmsNorm(x_.data() + last_row[static_cast<size_t>(i)] * hidden, w.final_norm.data.data(), 1, hidden,
            c.rms_norm_eps, last.data() + i * hidden);
  }
  logits->resize(static_cast<size_t>(out_rows * vocab));
  Matmul(last.data(), out_rows, w.output_matrix(), logits->data());
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<Backend> NewCpuBackend(int threads, MatmulKernel kernel) {
  return std::make_unique<CpuBackend>(threads, kernel);
}

std::unique_ptr<Backend> NewCpuBackend(int threads) {
  return NewCpuBackend(threads, MatmulKernel::kBatchInvariant);
}

}  // namespace rlvr::sampler
