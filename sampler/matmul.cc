#include "sampler/matmul.h"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>

namespace rlvr::sampler {
namespace {

// Each element: 8 lanes accumulate k = 8j + l in order, a fixed pairwise lane sum, then the
// k % 8 tail in order. Every kernel shape below computes exactly this per element.
inline float Finish(const float lanes[8], const float* x, const float* w, int64_t k8, int64_t k) {
  float s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (int64_t i = k8; i < k; ++i) s += x[i] * w[i];
  return s;
}

template <int MR, int NR>
__attribute__((target("avx2,fma"))) void TileAvx2(const float* x, int64_t ldx, const float* w, int64_t ldw,
                                                   int64_t k, float* y, int64_t ldy) {
  __m256 acc[MR][NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  const int64_t k8 = k & ~int64_t{7};
  for (int64_t p = 0; p < k8; p += 8) {
    __m256 xv[MR], wv[NR];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) xv[i] = _mm256_loadu_ps(x + i * ldx + p);
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) wv[j] = _mm256_loadu_ps(w + j * ldw + p);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(xv[i], wv[j], acc[i][j]);
  }
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NR; ++j) {
      alignas(32) float lanes[8];
      _mm256_store_ps(lanes, acc[i][j]);
      y[i * ldy + j] = Finish(lanes, x + i * ldx, w + j * ldw, k8, k);
    }
  }
}

template <int MR, int NR>
void TileGeneric(const float* x, int64_t ldx, const float* w, int64_t ldw, int64_t k, float* y, int64_t ldy) {
  const int64_t k8 = k & ~int64_t{7};
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NR; ++j) {
      float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      const float* xr = x + i * ldx;
      const float* wr = w + j * ldw;
      for (int64_t p = 0; p < k8; p += 8)
        for (int l = 0; l < 8; ++l) lanes[l] += xr[p + l] * wr[p + l];
      y[i * ldy + j] = Finish(lanes, xr, wr, k8, k);
    }
  }
}

bool HasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

// Rows [n0, n1) of w against every row of x, in m-tiles so that x stays in cache.
template <bool kAvx2>
void Columns(const float* x, int64_t m, const float* w, int64_t n0, int64_t n1, int64_t k, float* y,
             int64_t ldy) {
  constexpr int64_t kMTile = 64;
  constexpr int kMR = 2, kNR = 4;
  auto tile = [&](auto mr, auto nr, int64_t i, int64_t j) {
    if constexpr (kAvx2) {
      TileAvx2<decltype(mr)::value, decltype(nr)::value>(x + i * k, k, w + j * k, k, k, y + i * ldy + j, ldy);
    } else {
      TileGeneric<decltype(mr)::value, decltype(nr)::value>(x + i * k, k, w + j * k, k, k, y + i * ldy + j, ldy);
    }
  };
  using One = std::integral_constant<int, 1>;
  using MR = std::integral_constant<int, kMR>;
  using NR = std::integral_constant<int, kNR>;
  for (int64_t mt = 0; mt < m; mt += kMTile) {
    const int64_t me = std::min(m, mt + kMTile);
    int64_t j = n0;
    for (; j + kNR <= n1; j += kNR) {
      int64_t i = mt;
      for (; i + kMR <= me; i += kMR) tile(MR{}, NR{}, i, j);
      for (; i < me; ++i) tile(One{}, NR{}, i, j);
    }
    for (; j < n1; ++j) {
      int64_t i = mt;
      for (; i + kMR <= me; i += kMR) tile(MR{}, One{}, i, j);
      for (; i < me; ++i) tile(One{}, One{}, i, j);
    }
  }
}

}  // namespace

void MatmulTransposed(MatmulKernel kernel, const float* x, int64_t m, const float* w, int64_t n, int64_t k,
                      float* y, WorkerGroup& workers) {
  if (m == 0 || n == 0) return;
  if (kernel == MatmulKernel::kBlas) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), 1.0f, x, static_cast<int>(k), w, static_cast<int>(k), 0.0f, y,
                static_cast<int>(n));
    return;
  }
  // Split the n rows of w in blocks of 16 so that every participant streams its own part.
  constexpr int64_t kBlock = 16;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  const bool avx2 = HasAvx2Fma();
  workers.For(blocks, [&](int64_t b0, int64_t b1) {
    const int64_t n0 = b0 * kBlock, n1 = std::min(n, b1 * kBlock);
    if (avx2) {
      Columns<true>(x, m, w, n0, n1, k, y, n);
    } else {
      Columns<false>(x, m, w, n0, n1, k, y, n);
    }
  });
}

}  // namespace rlvr::sampler
