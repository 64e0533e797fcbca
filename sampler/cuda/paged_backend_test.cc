// The paged backend on the host Device (CPU references of the kernels) against
// model::ReferenceForward: the CUDA backend's recipe, layout and bookkeeping, checked without a
// GPU.
#include "sampler/cuda/paged_backend.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "model/fixtures.h"
#include "sampler/cuda/backend_scenarios.h"
#include "sampler/cuda/host_device.h"

namespace rlvr::sampler::cuda {
namespace {

// Both sides accumulate in double; only float storage between the steps differs.
constexpr Tolerance kHostTolerance{.tol = 1e-4, .eps = 1e-4};

std::unique_ptr<Backend> HostBackend() { return NewPagedBackend(NewHostDevice()); }

SequenceChunk Chunk(std::vector<int32_t> tokens, int64_t start, std::vector<int32_t> pages) {
  SequenceChunk chunk;
  chunk.tokens = std::move(tokens);
  chunk.start_pos = start;
  chunk.pages = std::move(pages);
  return chunk;
}

TEST(PagedBackendTest, SharedPrefixPrefillAndDecodeMatchReference) {
  const model::ModelConfig config = model::TinyConfig();
  auto backend = HostBackend();
  EXPECT_EQ(backend->name(), "host");
  RunSharedPrefixScenario(*backend, model::RandomWeights(config, 1),
                          model::RandomWeights(config, 2), kHostTolerance);
}

TEST(PagedBackendTest, LongContextMatchesReference) {
  auto backend = HostBackend();
  RunLongContextScenario(*backend, model::RandomWeights(model::TinyConfig(), 3), kHostTolerance);
}

TEST(PagedBackendTest, QkvBiasesAndTiedEmbeddingsMatchReference) {
  const model::ModelWeights weights =
      Tied(WithQkvBiases(model::RandomWeights(model::TinyConfig(), 4), 5));
  auto backend = HostBackend();
  RunSharedPrefixScenario(*backend, weights,
                          Tied(WithQkvBiases(model::RandomWeights(model::TinyConfig(), 6), 7)),
                          kHostTolerance);
}

TEST(PagedBackendTest, ReportsMisuse) {
  const model::ModelWeights weights = model::RandomWeights(model::TinyConfig(), 1);
  auto backend = HostBackend();
  EXPECT_EQ(backend->PageBytes(), 0);
  auto loaded = backend->Load(weights, 1);  // before AllocateKv is fine
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::vector<float> logits;
  EXPECT_EQ(backend->Forward(**loaded, {Chunk({1}, 0, {0})}, &logits).code(),
            absl::StatusCode::kFailedPrecondition);

  EXPECT_EQ(backend->AllocateKv(weights.config, 0, 8).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(backend->AllocateKv(weights.config, 4, 8).ok());
  EXPECT_EQ(backend->AllocateKv(weights.config, 4, 8).code(),
            absl::StatusCode::kFailedPrecondition);

  // Weights whose K/V do not fit the cache.
  model::ModelConfig deeper = weights.config;
  deeper.num_layers = 3;
  EXPECT_EQ(backend->Load(model::RandomWeights(deeper, 1), 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Weights of another backend.
  auto other = HostBackend();
  auto foreign = other->Load(weights, 3);
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(backend->Forward(**foreign, {Chunk({1}, 0, {0})}, &logits).code(),
            absl::StatusCode::kInvalidArgument);

  // Bad chunks.
  EXPECT_EQ(backend->Forward(**loaded, {Chunk({320}, 0, {0})}, &logits).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(backend->Forward(**loaded, {Chunk({1}, 8, {0})}, &logits).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(backend->Forward(**loaded, {Chunk({1}, 0, {4})}, &logits).code(),
            absl::StatusCode::kInvalidArgument);

  // A failed CopyPage surfaces at the next Forward, once.
  backend->CopyPage(0, 4);
  const absl::Status status = backend->Forward(**loaded, {Chunk({1}, 0, {0})}, &logits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("CopyPage(0, 4): the cache has 4 pages"), absl::string_view::npos)
      << status;
  EXPECT_TRUE(backend->Forward(**loaded, {Chunk({1}, 0, {0})}, &logits).ok());
  EXPECT_EQ(logits.size(), 320u);
}

TEST(PagedBackendTest, WeightsOutliveTheBackend) {
  const model::ModelWeights weights = model::RandomWeights(model::TinyConfig(), 1);
  std::shared_ptr<const LoadedWeights> loaded;
  {
    auto backend = HostBackend();
    auto result = backend->Load(weights, 9);
    ASSERT_TRUE(result.ok());
    loaded = *result;
  }
  EXPECT_EQ(loaded->version(), 9u);
  EXPECT_EQ(loaded->config().num_layers, weights.config.num_layers);
}

}  // namespace
}  // namespace rlvr::sampler::cuda
