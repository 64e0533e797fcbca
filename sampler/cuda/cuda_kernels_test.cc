// The CUDA kernels against their CPU references (kernels_reference.h) on random inputs, and the
// CUDA backend against model::ReferenceForward. Every test skips, with the reason, where no CUDA
// device is visible; ctest runs them with `-L gpu`.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "model/fixtures.h"
#include "sampler/backend.h"
#include "sampler/cuda/backend_scenarios.h"
#include "sampler/cuda/batch_plan.h"
#include "sampler/cuda/cuda_device.h"
#include "sampler/cuda/forward.h"
#include "sampler/cuda/kernels.h"
#include "sampler/cuda/kernels_reference.h"

namespace rlvr::sampler::cuda {
namespace {

// fp32 on the GPU against double-accumulating references.
constexpr Tolerance kKernelTolerance{.tol = 2e-5, .eps = 1e-4};
constexpr Tolerance kModelTolerance{.tol = 1e-3, .eps = 1e-3};

void ExpectCuda(cudaError_t err, const char* what) {
  EXPECT_EQ(err, cudaSuccess) << what << ": " << cudaGetErrorName(err) << " ("
                              << cudaGetErrorString(err) << ")";
}

// A device copy of a host vector (or n zeroed elements); failures are test failures.
template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(const std::vector<T>& host) : size_(host.size()) {
    ExpectCuda(cudaMalloc(reinterpret_cast<void**>(&ptr_), Bytes()), "cudaMalloc");
    ExpectCuda(cudaMemcpy(ptr_, host.data(), Bytes(), cudaMemcpyHostToDevice),
               "cudaMemcpy to the device");
  }
  ~DeviceArray() { cudaFree(ptr_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() const { return ptr_; }
  std::vector<T> ToHost() const {
    std::vector<T> host(size_);
    ExpectCuda(cudaDeviceSynchronize(), "kernel");
    ExpectCuda(cudaMemcpy(host.data(), ptr_, Bytes(), cudaMemcpyDeviceToHost),
               "cudaMemcpy to the host");
    return host;
  }

 private:
  size_t Bytes() const { return size_ * sizeof(T); }
  size_t size_;
  T* ptr_ = nullptr;
};

std::vector<float> RandomVector(size_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

std::vector<int32_t> RandomInts(size_t n, int32_t below, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(0, below - 1);
  std::vector<int32_t> v(n);
  for (int32_t& x : v) x = dist(rng);
  return v;
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want,
                Tolerance tolerance) {
  ASSERT_EQ(got.size(), want.size());
  ExpectLogitsNear(got.data(), want.data(), static_cast<int64_t>(got.size()), tolerance);
}

class CudaTest : public testing::Test {
 protected:
  void SetUp() override {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      GTEST_SKIP() << "no CUDA device: cudaGetDeviceCount: " << cudaGetErrorName(err) << " ("
                   << cudaGetErrorString(err) << ")";
    }
    if (count == 0) GTEST_SKIP() << "no CUDA device: cudaGetDeviceCount found 0";
    ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
    const cudaError_t image = CheckKernelImage();
    ASSERT_EQ(image, cudaSuccess) << "the kernels were not built for this GPU: "
                                  << cudaGetErrorString(image);
    ASSERT_EQ(cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, 0),
              cudaSuccess);
  }
  int multiprocessors_ = 0;
};

TEST_F(CudaTest, GatherRowsMatchesReference) {
  const int vocab = 1000, dim = 96, n = 37;
  const std::vector<float> table = RandomVector(vocab * dim, 1);
  const std::vector<int32_t> indices = RandomInts(n, vocab, 2);
  DeviceArray<float> d_table(table), d_out(std::vector<float>(n * dim));
  DeviceArray<int32_t> d_indices(indices);
  ExpectCuda(LaunchGatherRows(d_out.get(), d_table.get(), d_indices.get(), n, dim, nullptr),
             "launch");
  std::vector<float> want(n * dim);
  GatherRowsReference(want.data(), table.data(), indices.data(), n, dim);
  EXPECT_EQ(d_out.ToHost(), want);
}

TEST_F(CudaTest, RmsNormMatchesReference) {
  for (int dim : {64, 768, 1000, 4096}) {
    SCOPED_TRACE(testing::Message() << "dim " << dim);
    const int rows = 5;
    const std::vector<float> x = RandomVector(rows * dim, 3), w = RandomVector(dim, 4);
    DeviceArray<float> d_x(x), d_w(w), d_out(std::vector<float>(rows * dim));
    ExpectCuda(LaunchRmsNorm(d_out.get(), d_x.get(), d_w.get(), rows, dim, 1e-5f, nullptr),
               "launch");
    std::vector<float> want(rows * dim);
    RmsNormReference(want.data(), x.data(), w.data(), rows, dim, 1e-5f);
    ExpectNear(d_out.ToHost(), want, kKernelTolerance);
    ExpectCuda(LaunchRmsNorm(d_x.get(), d_x.get(), d_w.get(), rows, dim, 1e-5f, nullptr),
               "launch in place");
    ExpectNear(d_x.ToHost(), want, kKernelTolerance);
  }
}

TEST_F(CudaTest, AddBiasMatchesReference) {
  const int rows = 7, dim = 1000;
  std::vector<float> x = RandomVector(rows * dim, 5);
  const std::vector<float> bias = RandomVector(dim, 6);
  DeviceArray<float> d_x(x), d_bias(bias);
  ExpectCuda(LaunchAddBias(d_x.get(), d_bias.get(), rows, dim, nullptr), "launch");
  AddBiasReference(x.data(), bias.data(), rows, dim);
  EXPECT_EQ(d_x.ToHost(), x);
}

TEST_F(CudaTest, RopeMatchesReference) {
  for (int head_dim : {16, 64, 128}) {
    SCOPED_TRACE(testing::Message() << "head_dim " << head_dim);
    const int rows = 9, heads = 6, kv_heads = 2, stride = (heads + 2 * kv_heads) * head_dim + 4;
    std::vector<float> x = RandomVector(rows * stride, 7);
    std::vector<float> inv_freq(head_dim / 2);
    for (int i = 0; i < head_dim / 2; ++i)
      inv_freq[i] = static_cast<float>(std::pow(500000.0, -2.0 * i / head_dim));
    const std::vector<int32_t> positions = RandomInts(rows, 100000, 8);
    DeviceArray<float> d_x(x), d_inv_freq(inv_freq);
    DeviceArray<int32_t> d_positions(positions);
    ExpectCuda(LaunchRope(d_x.get(), stride, d_inv_freq.get(), d_positions.get(), rows,
                          heads + kv_heads, head_dim, nullptr),
               "launch");
    RopeReference(x.data(), stride, inv_freq.data(), positions.data(), rows, heads + kv_heads,
                  head_dim);
    ExpectNear(d_x.ToHost(), x, Tolerance{.tol = 1e-5, .eps = 1e-5});
  }
}

// A batch over a paged cache: sequences of the given (first position, rows) with block tables of
// shuffled pages, the cache filled with random K/V.
struct PagedBatch {
  KvGeometry kv;
  int num_pages = 0;
  std::vector<float> cache;
  std::vector<int32_t> positions, row_tables, page_table;
  int max_len = 0;

  PagedBatch(KvGeometry geometry, const std::vector<std::pair<int, int>>& sequences, uint32_t seed)
      : kv(geometry) {
    for (const auto& [start, rows] : sequences)
      num_pages += (start + rows + kv.page_size - 1) / kv.page_size;
    num_pages += 3;  // pages no sequence uses
    std::vector<int32_t> pages(num_pages);
    std::iota(pages.begin(), pages.end(), 0);
    std::shuffle(pages.begin(), pages.end(), std::mt19937(seed));
    int next = 0;
    for (const auto& [start, rows] : sequences) {
      const int table_at = static_cast<int>(page_table.size());
      for (int p = 0; p < (start + rows + kv.page_size - 1) / kv.page_size; ++p)
        page_table.push_back(pages[next++]);
      for (int r = 0; r < rows; ++r) {
        positions.push_back(start + r);
        row_tables.push_back(table_at);
      }
      max_len = std::max(max_len, start + rows);
    }
    cache = RandomVector(num_pages * kv.PageElements(), seed + 1);
  }
  int rows() const { return static_cast<int>(positions.size()); }
};

TEST_F(CudaTest, StoreKvMatchesReference) {
  const KvGeometry kv{.num_layers = 3, .page_size = 16, .num_kv_heads = 2, .head_dim = 64};
  PagedBatch batch(kv, {{100, 37}, {600, 1}, {0, 1}, {0, 5}}, 9);
  const int stride = 8 * 64;  // q (4 heads), k, v
  const std::vector<float> rows = RandomVector(batch.rows() * stride, 10);
  DeviceArray<float> d_cache(batch.cache), d_rows(rows);
  DeviceArray<int32_t> d_positions(batch.positions), d_row_tables(batch.row_tables),
      d_page_table(batch.page_table);
  const BatchRows d_batch{.positions = d_positions.get(),
                          .row_tables = d_row_tables.get(),
                          .page_table = d_page_table.get(),
                          .rows = batch.rows()};
  ExpectCuda(LaunchStoreKv(d_cache.get(), kv, 2, d_rows.get() + 4 * 64, d_rows.get() + 6 * 64,
                           stride, d_batch, nullptr),
             "launch");
  const BatchRows h_batch{.positions = batch.positions.data(),
                          .row_tables = batch.row_tables.data(),
                          .page_table = batch.page_table.data(),
                          .rows = batch.rows()};
  StoreKvReference(batch.cache.data(), kv, 2, rows.data() + 4 * 64, rows.data() + 6 * 64, stride,
                   h_batch);
  EXPECT_EQ(d_cache.ToHost(), batch.cache);
}

struct AttentionShape {
  int heads, kv_heads, head_dim;
};

class PagedAttentionTest : public CudaTest, public testing::WithParamInterface<AttentionShape> {};

TEST_P(PagedAttentionTest, MatchesReferenceForEverySplit) {
  const AttentionShape shape = GetParam();
  const KvGeometry kv{
      .num_layers = 2, .page_size = 16, .num_kv_heads = shape.kv_heads, .head_dim = shape.head_dim};
  // A prompt chunk attending to cached positions, two decode rows (one at position 0), a prompt.
  PagedBatch batch(kv, {{100, 37}, {600, 1}, {0, 1}, {0, 5}}, 11);
  const int q_stride = (shape.heads + 2 * shape.kv_heads) * shape.head_dim;
  const int out_stride = shape.heads * shape.head_dim + 8;
  const std::vector<float> q = RandomVector(batch.rows() * q_stride, 12);
  DeviceArray<float> d_cache(batch.cache), d_q(q);
  DeviceArray<int32_t> d_positions(batch.positions), d_row_tables(batch.row_tables),
      d_page_table(batch.page_table);

  PagedAttentionArgs args;
  args.out_stride = out_stride;
  args.q_stride = q_stride;
  args.kv = kv;
  args.layer = 1;
  args.num_heads = shape.heads;
  args.scale = static_cast<float>(1.0 / std::sqrt(shape.head_dim));
  std::vector<float> want(batch.rows() * out_stride, 0.0f);
  args.out = want.data();
  args.q = q.data();
  args.cache = batch.cache.data();
  args.batch = BatchRows{.positions = batch.positions.data(),
                         .row_tables = batch.row_tables.data(),
                         .page_table = batch.page_table.data(),
                         .rows = batch.rows()};
  PagedAttentionReference(args);

  const int tiles = (batch.max_len + kMinAttentionSplit - 1) / kMinAttentionSplit;
  std::vector<AttentionSplit> splits = {
      {.num_splits = 1, .split_size = tiles * kMinAttentionSplit},
      {.num_splits = tiles, .split_size = kMinAttentionSplit},
      {.num_splits = 2, .split_size = (tiles + 1) / 2 * kMinAttentionSplit},
      ChooseAttentionSplit(int64_t{batch.rows()} * shape.heads, batch.max_len, multiprocessors_),
  };
  for (const AttentionSplit& split : splits) {
    SCOPED_TRACE(testing::Message() << split.num_splits << " splits of " << split.split_size);
    DeviceArray<float> d_out(std::vector<float>(batch.rows() * out_stride, 0.0f));
    DeviceArray<float> d_partials(std::vector<float>(std::max<int64_t>(
        1, AttentionPartialFloats(batch.rows(), shape.heads, shape.head_dim, split.num_splits))));
    PagedAttentionArgs d_args = args;
    d_args.out = d_out.get();
    d_args.q = d_q.get();
    d_args.cache = d_cache.get();
    d_args.batch = BatchRows{.positions = d_positions.get(),
                             .row_tables = d_row_tables.get(),
                             .page_table = d_page_table.get(),
                             .rows = batch.rows()};
    ExpectCuda(
        LaunchPagedAttention(d_args, split.num_splits, split.split_size, d_partials.get(), nullptr),
        "launch");
    ExpectNear(d_out.ToHost(), want, kKernelTolerance);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, PagedAttentionTest,
                         testing::Values(AttentionShape{4, 2, 16}, AttentionShape{12, 4, 64},
                                         AttentionShape{4, 4, 80}, AttentionShape{8, 1, 128},
                                         AttentionShape{2, 1, 256}),
                         [](const testing::TestParamInfo<AttentionShape>& info) {
                           return "h" + std::to_string(info.param.heads) + "_kv" +
                                  std::to_string(info.param.kv_heads) + "_d" +
                                  std::to_string(info.param.head_dim);
                         });

TEST_F(CudaTest, PagedAttentionRejectsUnsupportedShapes) {
  PagedAttentionArgs args;
  args.kv = KvGeometry{.num_layers = 1, .page_size = 16, .num_kv_heads = 1, .head_dim = 512};
  args.num_heads = 1;
  EXPECT_EQ(LaunchPagedAttention(args, 1, kMinAttentionSplit, nullptr, nullptr),
            cudaErrorInvalidValue);
  args.kv.head_dim = 64;
  EXPECT_EQ(LaunchPagedAttention(args, 2, kMinAttentionSplit, nullptr, nullptr),
            cudaErrorInvalidValue);
}

TEST_F(CudaTest, SwiGluMatchesReference) {
  const int rows = 6, inter = 1000;
  const std::vector<float> gate_up = RandomVector(rows * 2 * inter, 13, 4.0f);
  DeviceArray<float> d_gate_up(gate_up), d_out(std::vector<float>(rows * inter));
  ExpectCuda(LaunchSwiGlu(d_out.get(), d_gate_up.get(), rows, inter, nullptr), "launch");
  std::vector<float> want(rows * inter);
  SwiGluReference(want.data(), gate_up.data(), rows, inter);
  ExpectNear(d_out.ToHost(), want, Tolerance{.tol = 1e-6, .eps = 1e-5});
}

TEST_F(CudaTest, LogSoftmaxMatchesReference) {
  for (int vocab : {151, 32000, 151936}) {
    SCOPED_TRACE(testing::Message() << "vocab " << vocab);
    const int rows = 3;
    const std::vector<float> logits = RandomVector(rows * vocab, 14, 5.0f);
    DeviceArray<float> d_logits(logits), d_out(std::vector<float>(rows * vocab));
    ExpectCuda(LaunchLogSoftmax(d_out.get(), d_logits.get(), rows, vocab, nullptr), "launch");
    std::vector<float> want(rows * vocab);
    LogSoftmaxReference(want.data(), logits.data(), rows, vocab);
    ExpectNear(d_out.ToHost(), want, Tolerance{.tol = 1e-4, .eps = 1e-5});
    ExpectCuda(LaunchLogSoftmax(d_logits.get(), d_logits.get(), rows, vocab, nullptr),
               "launch in place");
    ExpectNear(d_logits.ToHost(), want, Tolerance{.tol = 1e-4, .eps = 1e-5});
  }
}

TEST_F(CudaTest, ArgmaxMatchesReference) {
  const int vocab = 32000;
  std::vector<float> logits = RandomVector(6 * vocab, 15);
  logits[1 * vocab + 7] = logits[1 * vocab + 31000] = 100.0f;  // a tie: the lower index wins
  std::fill_n(logits.begin() + 2 * vocab, vocab, -std::numeric_limits<float>::infinity());
  std::fill_n(logits.begin() + 3 * vocab, vocab, std::numeric_limits<float>::quiet_NaN());
  logits[4 * vocab + 5] = std::numeric_limits<float>::quiet_NaN();  // ignored
  logits[4 * vocab + 20000] = 50.0f;
  DeviceArray<float> d_logits(logits);
  DeviceArray<int32_t> d_out(std::vector<int32_t>(6, -1));
  ExpectCuda(LaunchArgmax(d_out.get(), d_logits.get(), 6, vocab, nullptr), "launch");
  std::vector<int32_t> want(6);
  ArgmaxReference(want.data(), logits.data(), 6, vocab);
  EXPECT_EQ(want[1], 7);
  EXPECT_EQ(want[4], 20000);
  EXPECT_EQ(d_out.ToHost(), want);
}

TEST_F(CudaTest, DeviceGemmMatchesReference) {
  auto device = NewCudaDevice(0);
  ASSERT_TRUE(device.ok()) << device.status();
  const int rows = 5, out = 300, in = 70;
  const std::vector<float> x = RandomVector(rows * in, 16), w = RandomVector(out * in, 17),
                           y0 = RandomVector(rows * out, 18);
  for (bool accumulate : {false, true}) {
    SCOPED_TRACE(testing::Message() << "accumulate " << accumulate);
    DeviceArray<float> d_x(x), d_w(w), d_y(y0);
    ASSERT_TRUE((*device)
                    ->Gemm(LinearGemm(d_y.get(), d_x.get(), d_w.get(), rows, out, in, accumulate))
                    .ok());
    std::vector<float> want = y0;
    const GemmCall g = LinearGemm(want.data(), x.data(), w.data(), rows, out, in, accumulate);
    SgemmReference(g.trans_a, g.trans_b, g.m, g.n, g.k, 1.0f, g.a, g.lda, g.b, g.ldb, g.beta, g.c,
                   g.ldc);
    ExpectNear(d_y.ToHost(), want, kKernelTolerance);
  }
}

TEST_F(CudaTest, NewCudaBackendRejectsAnInvisibleDevice) {
  int count = 0;
  ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
  EXPECT_EQ(NewCudaBackend(count).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CudaTest, BackendSharedPrefixPrefillAndDecodeMatchReference) {
  auto backend = NewCudaBackend(0);
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ((*backend)->name(), "cuda");
  const model::ModelConfig config = model::TinyConfig();
  RunSharedPrefixScenario(**backend, model::RandomWeights(config, 1),
                          model::RandomWeights(config, 2), kModelTolerance);
}

TEST_F(CudaTest, BackendLongContextMatchesReference) {
  auto backend = NewCudaBackend(0);
  ASSERT_TRUE(backend.ok()) << backend.status();
  RunLongContextScenario(**backend, model::RandomWeights(model::TinyConfig(), 3), kModelTolerance);
}

TEST_F(CudaTest, BackendQkvBiasesAndTiedEmbeddingsMatchReference) {
  auto backend = NewCudaBackend(0);
  ASSERT_TRUE(backend.ok()) << backend.status();
  const model::ModelConfig config = model::TinyConfig();
  RunSharedPrefixScenario(**backend, Tied(WithQkvBiases(model::RandomWeights(config, 4), 5)),
                          Tied(WithQkvBiases(model::RandomWeights(config, 6), 7)), kModelTolerance);
}

TEST_F(CudaTest, Backend100MShapesMatchReference) {
  // The benchmark's model (hidden 768, head_dim 64, GQA 12/4, vocab 32000) on a short sequence:
  // dimensions beyond one block or warp.
  auto backend = NewCudaBackend(0);
  ASSERT_TRUE(backend.ok()) << backend.status();
  const model::ModelWeights weights = model::RandomWeights(model::Config100M(), 8);
  ASSERT_TRUE((*backend)->AllocateKv(weights.config, 8, 16).ok());
  auto loaded = (*backend)->Load(weights, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::vector<int32_t> tokens = RandomInts(12, static_cast<int32_t>(weights.config.vocab_size), 19);
  SequenceChunk chunk;
  chunk.tokens = tokens;
  chunk.pages = {5, 2};
  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE(testing::Message() << "step " << step << " at " << tokens.size() << " tokens");
    std::vector<float> logits;
    const absl::Status status = (*backend)->Forward(**loaded, {chunk}, &logits);
    ASSERT_TRUE(status.ok()) << status;
    const std::vector<float> want = ReferenceLastLogits(weights, tokens);
    ExpectNear(logits, want, kModelTolerance);
    chunk.start_pos = static_cast<int64_t>(tokens.size());
    chunk.tokens = {static_cast<int32_t>((step * 7919) % weights.config.vocab_size)};
    tokens.push_back(chunk.tokens[0]);
  }
}

}  // namespace
}  // namespace rlvr::sampler::cuda
