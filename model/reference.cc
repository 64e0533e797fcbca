// The reference forward pass, written to be checked by eye against Hugging Face's
// LlamaForCausalLM / Qwen2ForCausalLM / MistralForCausalLM: every step is a plain loop in double
// precision over one position at a time, in the order the Python model does it.
#include "model/reference.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "model/config.h"

namespace rlvr::model {
namespace {

using Vec = std::vector<double>;

// y = W x (+ b), W row-major [out, in] as stored by Hugging Face (nn.Linear computes x Wᵀ).
Vec Linear(const Tensor& w, const Tensor& bias, const Vec& x) {
  const size_t out = static_cast<size_t>(w.shape[0]);
  const size_t in = static_cast<size_t>(w.shape[1]);
  Vec y(out);
  for (size_t o = 0; o < out; ++o) {
    double sum = bias.data.empty() ? 0.0 : bias.data[o];
    const float* row = w.data.data() + o * in;
    for (size_t i = 0; i < in; ++i) sum += static_cast<double>(row[i]) * x[i];
    y[o] = sum;
  }
  return y;
}

// x / sqrt(mean(x²) + eps) * weight
Vec RmsNorm(const Vec& x, const Tensor& weight, double eps) {
  double mean_square = 0;
  for (double v : x) mean_square += v * v;
  mean_square /= static_cast<double>(x.size());
  const double scale = 1.0 / std::sqrt(mean_square + eps);
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * scale * weight.data[i];
  return y;
}

// Rotates each head of `v` (heads × head_dim, head-major) to position `pos`, in the "rotate_half"
// convention: element i pairs with element i + head_dim/2 (not with i + 1), and pair i turns by
// pos * inv_freq[i]:  out = v * cos + rotate_half(v) * sin, rotate_half(a, b) = (-b, a).
void Rope(Vec& v, int64_t heads, int64_t head_dim, const std::vector<float>& inv_freq,
          int64_t pos) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; ++h) {
    double* x = v.data() + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const double angle = static_cast<double>(pos) * static_cast<double>(inv_freq[i]);
      const double c = std::cos(angle), s = std::sin(angle);
      const double x1 = x[i], x2 = x[i + half];
      x[i] = x1 * c - x2 * s;
      x[i + half] = x2 * c + x1 * s;
    }
  }
}

double Silu(double x) { return x / (1.0 + std::exp(-x)); }

}  // namespace

std::vector<float> ReferenceForward(const ModelWeights& weights,
                                    const std::vector<int32_t>& tokens) {
  const ModelConfig& c = weights.config;
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t hidden = c.hidden_size;
  const int64_t heads = c.num_heads;
  const int64_t kv_heads = c.num_kv_heads;
  const int64_t head_dim = c.head_dim;
  const int64_t group = heads / kv_heads;  // query heads per kv head
  const double eps = c.rms_norm_eps;
  const std::vector<float> inv_freq = RopeInverseFrequencies(c);
  const Tensor none;

  // The residual stream, one vector per position, starts as the token embeddings.
  std::vector<Vec> x(n, Vec(hidden));
  for (int64_t t = 0; t < n; ++t) {
    if (tokens[t] < 0 || tokens[t] >= c.vocab_size) {
      std::fprintf(stderr, "ReferenceForward: token %d at position %lld is outside [0, %lld)\n",
                   tokens[t], static_cast<long long>(t), static_cast<long long>(c.vocab_size));
      std::abort();  // a caller bug: the contract says ids are checked before
    }
    for (int64_t i = 0; i < hidden; ++i) x[t][i] = weights.embed.data[tokens[t] * hidden + i];
  }

  for (const LayerWeights& layer : weights.layers) {
    // Attention: q, k, v per position, rotated to their positions.
    std::vector<Vec> q(n), k(n), v(n);
    for (int64_t t = 0; t < n; ++t) {
      const Vec xn = RmsNorm(x[t], layer.input_norm, eps);
      q[t] = Linear(layer.q_proj, layer.q_bias, xn);
      k[t] = Linear(layer.k_proj, layer.k_bias, xn);
      v[t] = Linear(layer.v_proj, layer.v_bias, xn);
      Rope(q[t], heads, head_dim, inv_freq, t);
      Rope(k[t], kv_heads, head_dim, inv_freq, t);
    }
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    for (int64_t t = 0; t < n; ++t) {
      Vec attended(heads * head_dim, 0.0);
      for (int64_t h = 0; h < heads; ++h) {
        const int64_t kvh = h / group;
        // Causal: position t sees positions 0..t.
        Vec scores(t + 1);
        double max_score = -INFINITY;
        for (int64_t s = 0; s <= t; ++s) {
          double dot = 0;
          for (int64_t d = 0; d < head_dim; ++d)
            dot += q[t][h * head_dim + d] * k[s][kvh * head_dim + d];
          scores[s] = dot * scale;
          max_score = std::max(max_score, scores[s]);
        }
        double total = 0;
        for (int64_t s = 0; s <= t; ++s) {
          scores[s] = std::exp(scores[s] - max_score);
          total += scores[s];
        }
        for (int64_t s = 0; s <= t; ++s) {
          const double p = scores[s] / total;
          for (int64_t d = 0; d < head_dim; ++d)
            attended[h * head_dim + d] += p * v[s][kvh * head_dim + d];
        }
      }
      const Vec out = Linear(layer.o_proj, none, attended);
      for (int64_t i = 0; i < hidden; ++i) x[t][i] += out[i];
    }
    // SwiGLU MLP: down(silu(gate(x)) * up(x)).
    for (int64_t t = 0; t < n; ++t) {
      const Vec xn = RmsNorm(x[t], layer.post_norm, eps);
      const Vec gate = Linear(layer.gate_proj, none, xn);
      const Vec up = Linear(layer.up_proj, none, xn);
      Vec act(gate.size());
      for (size_t i = 0; i < act.size(); ++i) act[i] = Silu(gate[i]) * up[i];
      const Vec out = Linear(layer.down_proj, none, act);
      for (int64_t i = 0; i < hidden; ++i) x[t][i] += out[i];
    }
  }

  const Tensor& output = weights.output_matrix();
  std::vector<float> logits(static_cast<size_t>(n * c.vocab_size));
  for (int64_t t = 0; t < n; ++t) {
    const Vec xn = RmsNorm(x[t], weights.final_norm, eps);
    const Vec row = Linear(output, none, xn);
    for (int64_t j = 0; j < c.vocab_size; ++j)
      logits[t * c.vocab_size + j] = static_cast<float>(row[j]);
  }
  return logits;
}

}  // namespace rlvr::model
