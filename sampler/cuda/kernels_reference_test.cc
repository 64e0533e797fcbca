// The CPU references of the CUDA kernels on hand-computed cases and invariants (the GPU test then
// holds each kernel to its reference).
#include "sampler/cuda/kernels_reference.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "sampler/cuda/forward.h"
#include "sampler/cuda/paged_kv.h"

namespace rlvr::sampler::cuda {
namespace {

std::vector<float> RandomVector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

TEST(KvGeometryTest, PageMajorLayout) {
  KvGeometry kv{.num_layers = 3, .page_size = 4, .num_kv_heads = 2, .head_dim = 8};
  EXPECT_EQ(kv.RowElements(), 16);
  EXPECT_EQ(kv.BlockElements(), 64);
  EXPECT_EQ(kv.PageElements(), 3 * 2 * 64);
  EXPECT_EQ(kv.Offset(0, 0, 0, 0, 0), 0);
  EXPECT_EQ(kv.Offset(0, 0, 0, 0, 1), 8);
  EXPECT_EQ(kv.Offset(0, 0, 0, 1, 0), 16);
  EXPECT_EQ(kv.Offset(0, 0, 1, 0, 0), 64);   // V follows K within a layer
  EXPECT_EQ(kv.Offset(0, 1, 0, 0, 0), 128);  // then the next layer
  EXPECT_EQ(kv.Offset(2, 1, 1, 3, 1), 2 * 384 + 128 + 64 + 3 * 16 + 8);
}

TEST(GatherRowsReferenceTest, PicksRows) {
  const std::vector<float> table = {0, 1, 10, 11, 20, 21};
  const std::vector<int32_t> indices = {2, 0, 2};
  std::vector<float> out(6);
  GatherRowsReference(out.data(), table.data(), indices.data(), 3, 2);
  EXPECT_EQ(out, (std::vector<float>{20, 21, 0, 1, 20, 21}));
}

TEST(RmsNormReferenceTest, ScalesByRootMeanSquare) {
  const std::vector<float> x = {3, 4, 0, 0};
  const std::vector<float> w = {1, 2};
  std::vector<float> out(4);
  RmsNormReference(out.data(), x.data(), w.data(), 2, 2, 0.0f);
  const float rms = std::sqrt(12.5f);
  EXPECT_FLOAT_EQ(out[0], 3 / rms);
  EXPECT_FLOAT_EQ(out[1], 8 / rms);
  // eps keeps a zero row finite.
  std::vector<float> zero(2);
  RmsNormReference(zero.data(), x.data() + 2, w.data(), 1, 2, 1e-6f);
  EXPECT_EQ(zero, (std::vector<float>{0, 0}));
}

TEST(RmsNormReferenceTest, InPlace) {
  std::vector<float> x = {1, -1, 2, 2};
  const std::vector<float> w = {1, 1, 1, 1};
  RmsNormReference(x.data(), x.data(), w.data(), 1, 4, 0.0f);
  const float rms = std::sqrt(10.0f / 4);
  EXPECT_FLOAT_EQ(x[3], 2 / rms);
}

TEST(AddBiasReferenceTest, AddsPerColumn) {
  std::vector<float> x = {1, 2, 3, 4};
  const std::vector<float> b = {10, 20};
  AddBiasReference(x.data(), b.data(), 2, 2);
  EXPECT_EQ(x, (std::vector<float>{11, 22, 13, 24}));
}

TEST(RopeReferenceTest, RotateHalfPairs) {
  // Two rows of stride 10: two heads of dim 4 then two columns RoPE must not touch.
  std::vector<float> x(20);
  for (int i = 0; i < 20; ++i) x[i] = static_cast<float>(i + 1);
  const std::vector<float> original = x;
  const std::vector<float> inv_freq = {1.0f, 0.5f};
  const std::vector<int32_t> positions = {0, 3};
  RopeReference(x.data(), 10, inv_freq.data(), positions.data(), 2, 2, 4);
  for (int i = 0; i < 10; ++i)
    EXPECT_FLOAT_EQ(x[i], original[i]) << "position 0 is the identity, " << i;
  for (int h = 0; h < 2; ++h) {
    const float* in = original.data() + 10 + 4 * h;
    const float* out = x.data() + 10 + 4 * h;
    for (int i = 0; i < 2; ++i) {
      const double angle = 3.0 * inv_freq[i];
      EXPECT_NEAR(out[i], in[i] * std::cos(angle) - in[i + 2] * std::sin(angle), 1e-5);
      EXPECT_NEAR(out[i + 2], in[i + 2] * std::cos(angle) + in[i] * std::sin(angle), 1e-5);
    }
  }
  EXPECT_EQ(x[18], original[18]);
  EXPECT_EQ(x[19], original[19]);
}

TEST(RopeReferenceTest, RelativePositionInvariance) {
  // q·k after RoPE depends only on the distance between their positions.
  const std::vector<float> q0 = RandomVector(8, 1), k0 = RandomVector(8, 2);
  std::vector<float> inv_freq = {1.0f, 0.1f, 0.01f, 0.001f};
  auto dot_at = [&](int32_t pq, int32_t pk) {
    std::vector<float> q = q0, k = k0;
    RopeReference(q.data(), 8, inv_freq.data(), &pq, 1, 1, 8);
    RopeReference(k.data(), 8, inv_freq.data(), &pk, 1, 1, 8);
    double dot = 0;
    for (int i = 0; i < 8; ++i) dot += double{q[i]} * k[i];
    return dot;
  };
  EXPECT_NEAR(dot_at(7, 3), dot_at(104, 100), 1e-4);
}

TEST(StoreKvReferenceTest, WritesRowsAtTheirPages) {
  const KvGeometry kv{.num_layers = 2, .page_size = 4, .num_kv_heads = 2, .head_dim = 4};
  std::vector<float> cache(4 * kv.PageElements(), 0.0f);
  // Row 0: position 1 of a sequence with table [3, 1]; row 1: position 5 of the same; row 2:
  // position 0 of a sequence with table [2].
  const std::vector<int32_t> positions = {1, 5, 0}, row_tables = {0, 0, 2}, page_table = {3, 1, 2};
  BatchRows batch{.positions = positions.data(),
                  .row_tables = row_tables.data(),
                  .page_table = page_table.data(),
                  .rows = 3};
  // Rows of stride 20: K in columns [0, 8), V in [8, 16).
  std::vector<float> rows(60);
  for (int i = 0; i < 60; ++i) rows[i] = static_cast<float>(i + 1);
  StoreKvReference(cache.data(), kv, 1, rows.data(), rows.data() + 8, 20, batch);
  const struct { int row, page, slot; } where[] = {{0, 3, 1}, {1, 1, 1}, {2, 2, 0}};
  int64_t written = 0;
  for (const auto& w : where) {
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(cache[kv.Offset(w.page, 1, 0, w.slot, 0) + i], rows[w.row * 20 + i]);
      EXPECT_EQ(cache[kv.Offset(w.page, 1, 1, w.slot, 0) + i], rows[w.row * 20 + 8 + i]);
    }
    written += 16;
  }
  int64_t nonzero = 0;
  for (float v : cache) nonzero += v != 0.0f;
  EXPECT_EQ(nonzero, written);
}

// A cache whose single sequence has positions [0, len) in pages `table`, K and V random.
struct AttentionFixture {
  KvGeometry kv;
  std::vector<float> cache;
  std::vector<int32_t> page_table;
};

AttentionFixture MakeCache(int kv_heads, int head_dim, int len, uint32_t seed) {
  AttentionFixture f;
  f.kv =
      KvGeometry{.num_layers = 2, .page_size = 4, .num_kv_heads = kv_heads, .head_dim = head_dim};
  const int pages = (len + 3) / 4;
  f.cache = RandomVector(pages * f.kv.PageElements(), seed);
  for (int p = 0; p < pages; ++p)
    f.page_table.push_back(pages - 1 - p);  // reversed: pages out of order
  return f;
}

TEST(PagedAttentionReferenceTest, MatchesDenseSoftmaxWithGqaAndCausalMask) {
  const int heads = 4, kv_heads = 2, head_dim = 8, len = 11, layer = 1;
  AttentionFixture f = MakeCache(kv_heads, head_dim, len, 3);
  // Rows at positions 4 and 10 (a chunk's rows need not be contiguous for the kernel).
  const std::vector<int32_t> positions = {4, 10}, row_tables = {0, 0};
  const std::vector<float> q = RandomVector(2 * heads * head_dim, 4);
  std::vector<float> out(2 * heads * head_dim);
  PagedAttentionArgs args;
  args.out = out.data();
  args.out_stride = heads * head_dim;
  args.q = q.data();
  args.q_stride = heads * head_dim;
  args.cache = f.cache.data();
  args.kv = f.kv;
  args.layer = layer;
  args.batch = BatchRows{.positions = positions.data(),
                         .row_tables = row_tables.data(),
                         .page_table = f.page_table.data(),
                         .rows = 2};
  args.num_heads = heads;
  args.scale = 0.5f;
  PagedAttentionReference(args);

  auto k_at = [&](int pos, int kvh) {
    return f.cache.data() + f.kv.Offset(f.page_table[pos / 4], layer, 0, pos % 4, kvh);
  };
  auto v_at = [&](int pos, int kvh) {
    return f.cache.data() + f.kv.Offset(f.page_table[pos / 4], layer, 1, pos % 4, kvh);
  };
  for (int r = 0; r < 2; ++r) {
    for (int h = 0; h < heads; ++h) {
      const int kvh = h / 2;
      std::vector<double> w(positions[r] + 1);
      double total = 0;
      for (int j = 0; j <= positions[r]; ++j) {
        double s = 0;
        for (int d = 0; d < head_dim; ++d) s += q[(r * heads + h) * head_dim + d] * k_at(j, kvh)[d];
        w[j] = std::exp(0.5 * s);
        total += w[j];
      }
      for (int d = 0; d < head_dim; ++d) {
        double o = 0;
        for (int j = 0; j <= positions[r]; ++j) o += w[j] / total * v_at(j, kvh)[d];
        EXPECT_NEAR(out[(r * heads + h) * head_dim + d], o, 1e-5)
            << "row " << r << " head " << h << " d " << d;
      }
    }
  }
}

TEST(PagedAttentionReferenceTest, OnePositionReturnsItsValue) {
  AttentionFixture f = MakeCache(1, 4, 1, 5);
  const std::vector<int32_t> positions = {0}, row_tables = {0};
  const std::vector<float> q = RandomVector(8, 6);  // two heads sharing kv head 0
  std::vector<float> out(8);
  PagedAttentionArgs args;
  args.out = out.data();
  args.out_stride = 8;
  args.q = q.data();
  args.q_stride = 8;
  args.cache = f.cache.data();
  args.kv = f.kv;
  args.batch = BatchRows{.positions = positions.data(),
                         .row_tables = row_tables.data(),
                         .page_table = f.page_table.data(),
                         .rows = 1};
  args.num_heads = 2;
  PagedAttentionReference(args);
  const float* v = f.cache.data() + f.kv.Offset(f.page_table[0], 0, 1, 0, 0);
  for (int d = 0; d < 4; ++d) {
    EXPECT_FLOAT_EQ(out[d], v[d]);
    EXPECT_FLOAT_EQ(out[4 + d], v[d]);
  }
}

TEST(SwiGluReferenceTest, SiluOfGateTimesUp) {
  const std::vector<float> gate_up = {0, 1, -30, 3, 3, 2};  // one row, inter 3: gates then ups
  std::vector<float> out(3);
  SwiGluReference(out.data(), gate_up.data(), 1, 3);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], static_cast<float>(1.0 / (1.0 + std::exp(-1.0)) * 3));
  EXPECT_NEAR(out[2], 0.0f, 1e-10);
}

TEST(LogSoftmaxReferenceTest, NormalizesRows) {
  const std::vector<float> logits = {0, 0, 1000, 1000, 1001, -5};
  std::vector<float> out(6);
  LogSoftmaxReference(out.data(), logits.data(), 2, 3);
  EXPECT_FLOAT_EQ(out[0], out[1]);
  for (int r = 0; r < 2; ++r) {
    double sum = 0;
    for (int i = 0; i < 3; ++i) sum += std::exp(double{out[r * 3 + i]});
    EXPECT_NEAR(sum, 1.0, 1e-6) << "row " << r;
  }
  EXPECT_NEAR(out[4] - out[3], 1.0, 1e-4);  // large logits stay finite
}

TEST(ArgmaxReferenceTest, LowestIndexOnTiesAndNanIgnored) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> logits = {1,    3,    3,    2,     // tie: 1
                                     nan,  -1,   nan,  -2,    // 1
                                     -inf, -inf, -inf, -inf,  // 0
                                     nan,  nan,  nan,  nan};  // 0
  std::vector<int32_t> out(4);
  ArgmaxReference(out.data(), logits.data(), 4, 4);
  EXPECT_EQ(out, (std::vector<int32_t>{1, 1, 0, 0}));
}

TEST(SgemmReferenceTest, ColumnMajorWithTransposes) {
  // A = [[1, 2, 3], [4, 5, 6]] (2 x 3), B = [[1, 0], [0, 1], [1, 1]] (3 x 2); AB = [[4, 5], [10,
  // 11]].
  const std::vector<float> a_col = {1, 4, 2, 5, 3, 6};  // column-major, lda 2
  const std::vector<float> a_row = {1, 2, 3, 4, 5, 6};  // = Aᵀ column-major, lda 3
  const std::vector<float> b_col = {1, 0, 1, 0, 1, 1};  // lda 3
  const std::vector<float> b_row = {1, 0, 0, 1, 1, 1};  // = Bᵀ column-major, ldb 2
  const std::vector<float> want = {4, 10, 5, 11};
  std::vector<float> c(4, std::numeric_limits<float>::quiet_NaN());  // beta 0 ignores C
  SgemmReference(Transpose::kNo, Transpose::kNo, 2, 2, 3, 1.0f, a_col.data(), 2, b_col.data(), 3,
                 0.0f, c.data(), 2);
  EXPECT_EQ(c, want);
  SgemmReference(Transpose::kYes, Transpose::kYes, 2, 2, 3, 1.0f, a_row.data(), 3, b_row.data(), 2,
                 0.0f, c.data(), 2);
  EXPECT_EQ(c, want);
  SgemmReference(Transpose::kYes, Transpose::kNo, 2, 2, 3, 2.0f, a_row.data(), 3, b_col.data(), 3,
                 1.0f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{12, 30, 15, 33}));  // 2AB + C
}

TEST(LinearGemmTest, IsRowMajorXTimesWTransposed) {
  const int rows = 3, in = 5, out = 4;
  const std::vector<float> x = RandomVector(rows * in, 7), w = RandomVector(out * in, 8),
                           y0 = RandomVector(rows * out, 9);
  for (bool accumulate : {false, true}) {
    std::vector<float> y = y0;
    const GemmCall g = LinearGemm(y.data(), x.data(), w.data(), rows, out, in, accumulate);
    SgemmReference(g.trans_a, g.trans_b, g.m, g.n, g.k, 1.0f, g.a, g.lda, g.b, g.ldb, g.beta, g.c,
                   g.ldc);
    for (int r = 0; r < rows; ++r) {
      for (int o = 0; o < out; ++o) {
        double want = accumulate ? y0[r * out + o] : 0.0;
        for (int i = 0; i < in; ++i) want += double{x[r * in + i]} * w[o * in + i];
        EXPECT_NEAR(y[r * out + o], want, 1e-5)
            << "accumulate " << accumulate << " row " << r << " out " << o;
      }
    }
  }
}

}  // namespace
}  // namespace rlvr::sampler::cuda
