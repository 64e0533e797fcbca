#include "sampler/cuda/kernels_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace rlvr::sampler::cuda {
namespace {

// The cache row of `layer`'s K (kv 0) or V (kv 1) at batch row r's position.
int64_t CacheRow(const KvGeometry& kv, const BatchRows& batch, int layer, int kv_index, int r,
                 int pos) {
  const int32_t page = batch.page_table[batch.row_tables[r] + pos / kv.page_size];
  return kv.Offset(page, layer, kv_index, pos % kv.page_size, 0);
}

}  // namespace

void GatherRowsReference(float* out, const float* table, const int32_t* indices, int n, int dim) {
  for (int i = 0; i < n; ++i) {
    std::copy_n(table + int64_t{indices[i]} * dim, dim, out + int64_t{i} * dim);
  }
}

void RmsNormReference(float* out, const float* x, const float* weight, int rows, int dim,
                      float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    double sum_sq = 0.0;
    for (int c = 0; c < dim; ++c) sum_sq += double{xr[c]} * xr[c];
    const double inv_rms = 1.0 / std::sqrt(sum_sq / dim + eps);
    for (int c = 0; c < dim; ++c)
      out[r * dim + c] = static_cast<float>(xr[c] * inv_rms * weight[c]);
  }
}

void AddBiasReference(float* x, const float* bias, int rows, int dim) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int c = 0; c < dim; ++c) x[r * dim + c] += bias[c];
  }
}

void RopeReference(float* x, int64_t row_stride, const float* inv_freq, const int32_t* positions,
                   int rows, int num_heads, int head_dim) {
  const int half = head_dim / 2;
  for (int64_t r = 0; r < rows; ++r) {
    for (int h = 0; h < num_heads; ++h) {
      float* head = x + r * row_stride + int64_t{h} * head_dim;
      for (int i = 0; i < half; ++i) {
        const double angle = static_cast<double>(positions[r]) * inv_freq[i];
        const float c = static_cast<float>(std::cos(angle)),
                    s = static_cast<float>(std::sin(angle));
        const float x1 = head[i], x2 = head[i + half];
        head[i] = x1 * c - x2 * s;
        head[i + half] = x2 * c + x1 * s;
      }
    }
  }
}

void StoreKvReference(float* cache, KvGeometry kv, int layer, const float* k, const float* v,
                      int64_t row_stride, BatchRows batch) {
  for (int r = 0; r < batch.rows; ++r) {
    const int pos = batch.positions[r];
    std::copy_n(k + r * row_stride, kv.RowElements(),
                cache + CacheRow(kv, batch, layer, 0, r, pos));
    std::copy_n(v + r * row_stride, kv.RowElements(),
                cache + CacheRow(kv, batch, layer, 1, r, pos));
  }
}

void PagedAttentionReference(const PagedAttentionArgs& a) {
  const int head_dim = a.kv.head_dim;
  const int group = a.num_heads / a.kv.num_kv_heads;
  std::vector<double> scores;
  std::vector<double> out(head_dim);
  for (int r = 0; r < a.batch.rows; ++r) {
    const int len = a.batch.positions[r] + 1;
    scores.resize(len);
    for (int h = 0; h < a.num_heads; ++h) {
      const float* q = a.q + r * a.q_stride + int64_t{h} * head_dim;
      const int64_t head_offset = int64_t{h / group} * head_dim;
      double max_score = -std::numeric_limits<double>::infinity();
      for (int j = 0; j < len; ++j) {
        const float* k = a.cache + CacheRow(a.kv, a.batch, a.layer, 0, r, j) + head_offset;
        double dot = 0.0;
        for (int d = 0; d < head_dim; ++d) dot += double{q[d]} * k[d];
        scores[j] = dot * a.scale;
        max_score = std::max(max_score, scores[j]);
      }
      double sum = 0.0;
      std::fill(out.begin(), out.end(), 0.0);
      for (int j = 0; j < len; ++j) {
        const double p = std::exp(scores[j] - max_score);
        sum += p;
        const float* v = a.cache + CacheRow(a.kv, a.batch, a.layer, 1, r, j) + head_offset;
        for (int d = 0; d < head_dim; ++d) out[d] += p * v[d];
      }
      float* o = a.out + r * a.out_stride + int64_t{h} * head_dim;
      for (int d = 0; d < head_dim; ++d) o[d] = static_cast<float>(out[d] / sum);
    }
  }
}

void SwiGluReference(float* out, const float* gate_up, int rows, int inter) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int i = 0; i < inter; ++i) {
      const double gate = gate_up[r * 2 * inter + i];
      const double up = gate_up[r * 2 * inter + inter + i];
      out[r * inter + i] = static_cast<float>(gate / (1.0 + std::exp(-gate)) * up);
    }
  }
}

void LogSoftmaxReference(float* out, const float* logits, int rows, int vocab) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = logits + r * vocab;
    const double max_v = *std::max_element(x, x + vocab);
    double sum = 0.0;
    for (int i = 0; i < vocab; ++i) sum += std::exp(x[i] - max_v);
    const double log_z = max_v + std::log(sum);
    for (int i = 0; i < vocab; ++i) out[r * vocab + i] = static_cast<float>(x[i] - log_z);
  }
}

void ArgmaxReference(int32_t* out, const float* logits, int rows, int vocab) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = logits + r * vocab;
    int32_t best = -1;
    for (int i = 0; i < vocab; ++i) {
      if (std::isnan(x[i])) continue;
      if (best < 0 || x[i] > x[best]) best = i;
    }
    out[r] = best < 0 ? 0 : best;  // a row of NaN: 0
  }
}

void SgemmReference(Transpose trans_a, Transpose trans_b, int m, int n, int k, float alpha,
                    const float* a, int lda, const float* b, int ldb, float beta, float* c,
                    int ldc) {
  // Column-major: element (i, j) of a matrix with leading dimension ld is at i + j * ld.
  auto op_a = [&](int i, int p) {
    return trans_a == Transpose::kNo ? a[i + int64_t{p} * lda] : a[p + int64_t{i} * lda];
  };
  auto op_b = [&](int p, int j) {
    return trans_b == Transpose::kNo ? b[p + int64_t{j} * ldb] : b[j + int64_t{p} * ldb];
  };
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < m; ++i) {
      double dot = 0.0;
      for (int p = 0; p < k; ++p) dot += double{op_a(i, p)} * op_b(p, j);
      float& out = c[i + int64_t{j} * ldc];
      // beta == 0 ignores C's old contents (which may be uninitialized), as BLAS does.
      out = static_cast<float>(alpha * dot + (beta == 0.0f ? 0.0 : double{beta} * out));
    }
  }
}

}  // namespace rlvr::sampler::cuda
