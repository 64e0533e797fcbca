#include "sampler/engine.h"

#include <algorithm>
#include <cmath>
#include <future>
#include <map>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "model/fixtures.h"
#include "model/reference.h"
#include "sampler/cpu_backend.h"
#include "sampler/text.h"

namespace rlvr::sampler {
namespace {

std::shared_ptr<const model::Tokenizer> TestTokenizer() {
  static std::shared_ptr<const model::Tokenizer> tok = [] {
    absl::StatusOr<std::unique_ptr<model::Tokenizer>> t = model::Tokenizer::FromJson(model::TestTokenizerJson());
    EXPECT_TRUE(t.ok()) << t.status();
    return std::shared_ptr<const model::Tokenizer>(std::move(*t));
  }();
  return tok;
}

model::ModelConfig Config(bool with_eos = false) {
  model::ModelConfig c = model::TinyConfig(TestTokenizer()->vocab_size());
  if (!with_eos) c.eos_token_ids.clear();
  return c;
}

std::unique_ptr<Engine> MakeEngine(EngineOptions options = {}, model::ModelConfig config = Config(),
                                   uint64_t seed = 7) {
  absl::StatusOr<std::unique_ptr<Engine>> e =
      Engine::Create(NewCpuBackend(2, MatmulKernel::kBatchInvariant), model::RandomWeights(config, seed), 1,
                     TestTokenizer(), options);
  EXPECT_TRUE(e.ok()) << e.status();
  return std::move(*e);
}

struct Outcome {
  absl::Status status;
  std::vector<SampleResult> samples;  // by index
};

// Runs one request to completion.
Outcome RunToEnd(Sampler& s, GenerationRequest req) {
  auto out = std::make_shared<Outcome>();
  auto mu = std::make_shared<absl::Mutex>();
  std::promise<void> done;
  absl::StatusOr<uint64_t> id = s.Generate(
      req,
      [out, mu](SampleResult r) {
        absl::MutexLock lock(mu.get());
        out->samples.push_back(std::move(r));
      },
      [out, mu, &done](absl::Status st) {
        {
          absl::MutexLock lock(mu.get());
          out->status = st;
        }
        done.set_value();
      });
  if (!id.ok()) return Outcome{id.status(), {}};
  done.get_future().wait();
  absl::MutexLock lock(mu.get());
  std::sort(out->samples.begin(), out->samples.end(),
            [](const SampleResult& a, const SampleResult& b) { return a.index < b.index; });
  return *out;
}

GenerationRequest Req(std::vector<int32_t> prompt, int n, float temperature, int max_tokens,
                      std::optional<uint64_t> seed = std::nullopt) {
  GenerationRequest r;
  r.prompt_token_ids = std::move(prompt);
  r.n = n;
  r.sampling.temperature = temperature;
  r.sampling.max_tokens = max_tokens;
  r.sampling.seed = seed;
  r.sampling.logprobs = true;
  return r;
}

// Greedy decoding equals argmax of the naive reference forward at every step, and the reported
// logprobs are the reference's log-softmax.
TEST(EngineTest, GreedyMatchesReferenceForward) {
  const model::ModelConfig config = Config();
  const model::ModelWeights weights = model::RandomWeights(config, 7);
  std::unique_ptr<Engine> engine = MakeEngine();
  const std::vector<int32_t> prompt = {5, 17, 42, 99, 3, 250, 8};
  Outcome o = RunToEnd(*engine, Req(prompt, 1, 0, 12));
  ASSERT_TRUE(o.status.ok()) << o.status;
  ASSERT_EQ(o.samples.size(), 1u);
  const SampleResult& s = o.samples[0];
  ASSERT_EQ(s.token_ids.size(), 12u);
  EXPECT_EQ(s.finish_reason, FinishReason::kLength);
  EXPECT_EQ(s.policy_version, 1u);
  EXPECT_TRUE(s.sampling_logprobs.empty() || s.sampling_logprobs.size() == 12u);
  std::vector<int32_t> seq = prompt;
  const int64_t vocab = config.vocab_size;
  for (size_t i = 0; i < s.token_ids.size(); ++i) {
    std::vector<float> logits = model::ReferenceForward(weights, seq);
    const float* last = logits.data() + (static_cast<int64_t>(seq.size()) - 1) * vocab;
    const int32_t want = static_cast<int32_t>(std::max_element(last, last + vocab) - last);
    ASSERT_EQ(s.token_ids[i], want) << "step " << i;
    double mx = *std::max_element(last, last + vocab), z = 0;
    for (int64_t v = 0; v < vocab; ++v) z += std::exp(last[v] - mx);
    EXPECT_NEAR(s.logprobs[i], last[want] - mx - std::log(z), 1e-3);
    seq.push_back(want);
  }
  EXPECT_EQ(s.text, ValidUtf8(TestTokenizer()->Decode(s.token_ids)));
}

TEST(EngineTest, SeededSamplingIsReproducibleAndSeedsDiffer) {
  std::unique_ptr<Engine> engine = MakeEngine();
  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5};
  Outcome a = RunToEnd(*engine, Req(prompt, 3, 1.0f, 20, 1234));
  Outcome b = RunToEnd(*engine, Req(prompt, 3, 1.0f, 20, 1234));
  Outcome c = RunToEnd(*engine, Req(prompt, 3, 1.0f, 20, 999));
  ASSERT_TRUE(a.status.ok() && b.status.ok() && c.status.ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a.samples[i].token_ids, b.samples[i].token_ids);
    EXPECT_NE(a.samples[i].token_ids, c.samples[i].token_ids);
  }
  EXPECT_NE(a.samples[0].token_ids, a.samples[1].token_ids);
}

// n samples sharing the prompt's KV pages equal n independent requests seeded seed + i, even
// though those run batched differently (concurrently, with other traffic).
TEST(EngineTest, SharedPrefixSamplesEqualIndependentOnes) {
  EngineOptions options;
  options.page_size = 4;  // the prompt's last page is partly filled: copy-on-write is exercised
  std::unique_ptr<Engine> engine = MakeEngine(options);
  const std::vector<int32_t> prompt = {11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  GenerationRequest shared = Req(prompt, 8, 0.8f, 24, 77);
  shared.sampling.top_k = 50;
  shared.sampling.top_p = 0.9f;
  Outcome together = RunToEnd(*engine, shared);
  ASSERT_TRUE(together.status.ok()) << together.status;
  ASSERT_EQ(together.samples.size(), 8u);

  std::vector<std::future<Outcome>> alone;
  for (int i = 0; i < 8; ++i) {
    GenerationRequest one = shared;
    one.n = 1;
    one.sampling.seed = 77 + i;
    alone.push_back(std::async(std::launch::async, [&engine, one] { return RunToEnd(*engine, one); }));
  }
  for (int i = 0; i < 8; ++i) {
    Outcome o = alone[static_cast<size_t>(i)].get();
    ASSERT_TRUE(o.status.ok());
    EXPECT_EQ(o.samples[0].token_ids, together.samples[static_cast<size_t>(i)].token_ids) << "sample " << i;
    EXPECT_EQ(o.samples[0].logprobs, together.samples[static_cast<size_t>(i)].logprobs) << "sample " << i;
    EXPECT_EQ(together.samples[static_cast<size_t>(i)].sampling_logprobs.size(), 24u);
  }
}

TEST(EngineTest, PrefixSharingSavesKvPages) {
  const std::vector<int32_t> prompt(200, 7);
  auto peak = [&](bool share) {
    EngineOptions options;
    options.page_size = 16;
    std::unique_ptr<Engine> engine = MakeEngine(options);
    if (share) {
      EXPECT_TRUE(RunToEnd(*engine, Req(prompt, 16, 1.0f, 8, 1)).status.ok());
    } else {
      // All 16 submitted before any is waited for, so they are in the cache together.
      std::vector<std::promise<absl::Status>> done(16);
      for (int i = 0; i < 16; ++i) {
        absl::StatusOr<uint64_t> id = engine->Generate(
            Req(prompt, 1, 1.0f, 8, static_cast<uint64_t>(i)), [](SampleResult) {},
            [&done, i](absl::Status st) { done[static_cast<size_t>(i)].set_value(st); });
        EXPECT_TRUE(id.ok()) << id.status();
      }
      for (auto& d : done) EXPECT_TRUE(d.get_future().get().ok());
    }
    EngineStats s = engine->Stats();
    EXPECT_EQ(s.kv_pages_used, 0);  // everything released
    return s.kv_pages_peak;
  };
  const int64_t shared = peak(true), separate = peak(false);
  // Shared: 13 prompt pages + 16 copied last pages. Separate: up to 16 x 13.
  EXPECT_LE(shared, 13 + 16);
  EXPECT_GT(separate, 3 * shared);
}

TEST(EngineTest, StopStringsStopTokensAndLength) {
  std::unique_ptr<Engine> engine = MakeEngine();
  const std::vector<int32_t> prompt = {40, 41, 42};
  Outcome free_run = RunToEnd(*engine, Req(prompt, 1, 0, 30));
  ASSERT_TRUE(free_run.status.ok());
  const SampleResult& full = free_run.samples[0];
  ASSERT_EQ(full.token_ids.size(), 30u);

  // A stop token: the 6th generated token. Generation ends there, the token is kept, the text
  // excludes it.
  GenerationRequest by_token = Req(prompt, 1, 0, 30);
  by_token.sampling.stop_token_ids = {full.token_ids[5]};
  Outcome t = RunToEnd(*engine, by_token);
  ASSERT_TRUE(t.status.ok());
  const size_t first = static_cast<size_t>(std::find(full.token_ids.begin(), full.token_ids.end(), full.token_ids[5]) -
                                           full.token_ids.begin());
  EXPECT_EQ(t.samples[0].finish_reason, FinishReason::kStop);
  EXPECT_EQ(t.samples[0].token_ids, std::vector<int32_t>(full.token_ids.begin(), full.token_ids.begin() + first + 1));

  // A stop string taken from the middle of the free-running text: the text ends before it.
  const std::string text = TestTokenizer()->Decode(full.token_ids);
  ASSERT_GT(text.size(), 12u);
  const std::string stop = text.substr(text.size() / 2, 3);
  GenerationRequest by_string = Req(prompt, 1, 0, 30);
  by_string.sampling.stop = {stop, "never-appears-xyz"};
  Outcome s = RunToEnd(*engine, by_string);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.samples[0].finish_reason, FinishReason::kStop);
  EXPECT_EQ(s.samples[0].text, ValidUtf8(text.substr(0, text.find(stop))));

  // EOS from the config stops too.
  model::ModelConfig with_eos = Config(true);
  with_eos.eos_token_ids = {full.token_ids[3]};
  std::unique_ptr<Engine> eos_engine = MakeEngine({}, with_eos);
  Outcome e = RunToEnd(*eos_engine, Req(prompt, 1, 0, 30));
  ASSERT_TRUE(e.status.ok());
  EXPECT_EQ(e.samples[0].finish_reason, FinishReason::kStop);
  EXPECT_LE(e.samples[0].token_ids.size(), 4u);
}

TEST(EngineTest, TextPromptIsTokenized) {
  std::unique_ptr<Engine> engine = MakeEngine();
  GenerationRequest r;
  r.prompt = "The answer is";
  r.n = 2;
  r.sampling.max_tokens = 5;
  r.sampling.seed = 3;
  Outcome o = RunToEnd(*engine, r);
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(o.samples[0].prompt_tokens, TestTokenizer()->Encode("The answer is").size());
  EXPECT_EQ(o.samples.size(), 2u);
  EXPECT_TRUE(o.samples[0].logprobs.empty());  // not requested
}

TEST(EngineTest, BadRequestsGetClearErrorsAndServingContinues) {
  EngineOptions options;
  options.max_n = 8;
  options.max_tokens = 64;
  options.kv_pages = 64;
  options.page_size = 4;
  std::unique_ptr<Engine> engine = MakeEngine(options);
  struct Case {
    GenerationRequest req;
    absl::StatusCode code;
    const char* needle;
  };
  std::vector<Case> cases;
  cases.push_back({Req({1, 2}, 0, 1, 4), absl::StatusCode::kInvalidArgument, "n is 0"});
  cases.push_back({Req({1, 2}, 9, 1, 4), absl::StatusCode::kInvalidArgument, "n is 9"});
  cases.push_back({Req({1, 2}, 1, 1, 1000000), absl::StatusCode::kInvalidArgument, "max_tokens is 1000000"});
  cases.push_back({Req({1, 2}, 1, 1, 0), absl::StatusCode::kInvalidArgument, "max_tokens is 0"});
  cases.push_back({Req({1, 2}, 1, -0.5f, 4), absl::StatusCode::kInvalidArgument, "temperature is -0.5"});
  cases.push_back({Req({1, 100000}, 1, 1, 4), absl::StatusCode::kInvalidArgument, "prompt_token_ids[1] is 100000"});
  cases.push_back({Req({1, -1}, 1, 1, 4), absl::StatusCode::kInvalidArgument, "prompt_token_ids[1] is -1"});
  cases.push_back({Req({}, 1, 1, 4), absl::StatusCode::kInvalidArgument, "prompt is empty"});
  cases.push_back({Req(std::vector<int32_t>(5000, 1), 1, 1, 4), absl::StatusCode::kInvalidArgument, "context"});
  cases.push_back({Req({1, 2}, 8, 1, 64), absl::StatusCode::kResourceExhausted, "KV pages"});
  GenerationRequest unknown = Req({1, 2}, 1, 1, 4);
  unknown.model = "gpt-5";
  cases.push_back({unknown, absl::StatusCode::kNotFound, "\"gpt-5\""});
  for (const Case& c : cases) {
    absl::StatusOr<uint64_t> id = engine->Generate(c.req, [](SampleResult) {}, [](absl::Status) {});
    ASSERT_FALSE(id.ok()) << c.needle;
    EXPECT_EQ(id.status().code(), c.code) << id.status();
    EXPECT_NE(id.status().message().find(c.needle), absl::string_view::npos) << id.status() << " / " << c.needle;
  }
  Outcome ok = RunToEnd(*engine, Req({1, 2, 3}, 2, 1, 4, 5));
  EXPECT_TRUE(ok.status.ok());
  EXPECT_EQ(ok.samples.size(), 2u);
}

TEST(EngineTest, CancelEndsARequestAndFreesItsPages) {
  std::unique_ptr<Engine> engine = MakeEngine();
  std::promise<absl::Status> done;
  absl::StatusOr<uint64_t> id = engine->Generate(
      Req({1, 2, 3}, 4, 1, 4000, 1), [](SampleResult) {}, [&](absl::Status s) { done.set_value(s); });
  ASSERT_TRUE(id.ok());
  engine->Cancel(*id);
  absl::Status st = done.get_future().get();
  EXPECT_EQ(st.code(), absl::StatusCode::kCancelled) << st;
  Outcome after = RunToEnd(*engine, Req({1, 2, 3}, 1, 0, 3));
  EXPECT_TRUE(after.status.ok());
  EXPECT_EQ(engine->Stats().kv_pages_used, 0);
  engine->Cancel(123456);  // unknown: nothing happens
}

// A cache too small for every request at once: requests wait or are preempted and restarted,
// and the samples are exactly those of a roomy cache.
TEST(EngineTest, SmallCachePreemptsWithoutChangingResults) {
  EngineOptions roomy;
  roomy.page_size = 4;
  EngineOptions tight = roomy;
  tight.kv_pages = 40;
  std::unique_ptr<Engine> big = MakeEngine(roomy), small = MakeEngine(tight);
  std::vector<std::future<Outcome>> a, b;
  for (int i = 0; i < 6; ++i) {
    GenerationRequest r = Req({static_cast<int32_t>(i + 1), 9, 9, 9, 9}, 3, 1.0f, 40, static_cast<uint64_t>(100 + i));
    a.push_back(std::async(std::launch::async, [&big, r] { return RunToEnd(*big, r); }));
    b.push_back(std::async(std::launch::async, [&small, r] { return RunToEnd(*small, r); }));
  }
  for (int i = 0; i < 6; ++i) {
    Outcome x = a[static_cast<size_t>(i)].get(), y = b[static_cast<size_t>(i)].get();
    ASSERT_TRUE(x.status.ok() && y.status.ok()) << y.status;
    for (int j = 0; j < 3; ++j) EXPECT_EQ(x.samples[j].token_ids, y.samples[j].token_ids);
  }
  EXPECT_EQ(small->Stats().kv_pages_used, 0);
}

model::Tensor Filled(const std::vector<int64_t>& shape, float v) {
  model::Tensor t;
  t.shape = shape;
  t.data.assign(static_cast<size_t>(t.numel()), v);
  return t;
}

TEST(EngineTest, WeightUpdatesAreVersionedAndValidated) {
  std::unique_ptr<Engine> engine = MakeEngine();
  const model::ModelConfig config = Config();
  const std::vector<int32_t> prompt = {3, 1, 4, 1, 5};
  Outcome before = RunToEnd(*engine, Req(prompt, 1, 0, 8));
  ASSERT_TRUE(before.status.ok());
  EXPECT_EQ(before.samples[0].policy_version, 1u);

  // The same tensors under a new version: same samples, new version.
  WeightUpdate same;
  same.version = 2;
  model::ModelWeights w2 = model::RandomWeights(config, 7);
  same.tensors["model.norm.weight"] = w2.final_norm;
  ASSERT_TRUE(engine->UpdateWeights(same).ok());
  Outcome after = RunToEnd(*engine, Req(prompt, 1, 0, 8));
  EXPECT_EQ(after.samples[0].policy_version, 2u);
  EXPECT_EQ(after.samples[0].token_ids, before.samples[0].token_ids);
  EXPECT_EQ(engine->Info().policy_version, 2u);

  // Different weights: the model's output changes.
  WeightUpdate other;
  other.version = 3;
  other.tensors = model::WeightsToTensors(model::RandomWeights(config, 99));
  ASSERT_TRUE(engine->UpdateWeights(other).ok());
  Outcome changed = RunToEnd(*engine, Req(prompt, 1, 0, 8));
  EXPECT_EQ(changed.samples[0].policy_version, 3u);
  EXPECT_NE(changed.samples[0].token_ids, before.samples[0].token_ids);

  struct Bad {
    WeightUpdate u;
    const char* needle;
  };
  std::vector<Bad> bad;
  WeightUpdate u;
  u.version = 3;
  bad.push_back({u, "version 3 is not above"});
  u.version = 4;
  u.tensors["model.layers.0.mlp.up_proj.weight"] = Filled({3, 3}, 1);
  bad.push_back({u, "has shape [3, 3]"});
  u.tensors.clear();
  u.tensors["model.layers.99.mlp.up_proj.weight"] = Filled({3, 3}, 1);
  bad.push_back({u, "does not have"});
  u.tensors.clear();
  model::Tensor short_data = Filled({config.hidden_size}, 1);
  short_data.data.pop_back();
  u.tensors["model.norm.weight"] = short_data;
  bad.push_back({u, "values for shape"});
  for (const Bad& b : bad) {
    absl::Status s = engine->UpdateWeights(b.u);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << b.needle;
    EXPECT_NE(s.message().find(b.needle), absl::string_view::npos) << s << " / " << b.needle;
  }
  Outcome still = RunToEnd(*engine, Req(prompt, 1, 0, 8));
  EXPECT_EQ(still.samples[0].token_ids, changed.samples[0].token_ids);
  EXPECT_EQ(still.samples[0].policy_version, 3u);
}

// In-flight samples either finish on the version they started with, or restart on the new one.
TEST(EngineTest, InFlightRequestsFinishOnOldVersionOrRestart) {
  for (bool restart : {false, true}) {
    EngineOptions options;
    options.restart_on_update = restart;
    std::unique_ptr<Engine> engine = MakeEngine(options);
    absl::Notification first_sample;
    std::promise<std::vector<uint64_t>> versions;
    auto got = std::make_shared<std::vector<uint64_t>>();
    auto mu = std::make_shared<absl::Mutex>();
    GenerationRequest r = Req({1, 2, 3}, 2, 1.0f, 600, 5);
    absl::StatusOr<uint64_t> id = engine->Generate(
        r,
        [got, mu](SampleResult s) {
          absl::MutexLock lock(mu.get());
          got->push_back(s.policy_version);
        },
        [got, mu, &versions](absl::Status) {
          absl::MutexLock lock(mu.get());
          versions.set_value(*got);
        });
    ASSERT_TRUE(id.ok());
    while (engine->Stats().generated_tokens == 0) absl::SleepFor(absl::Milliseconds(1));  // decoding has started
    WeightUpdate u;
    u.version = 2;
    u.tensors = model::WeightsToTensors(model::RandomWeights(Config(), 8));
    ASSERT_TRUE(engine->UpdateWeights(u).ok());
    std::vector<uint64_t> v = versions.get_future().get();
    ASSERT_EQ(v.size(), 2u);
    for (uint64_t x : v) EXPECT_EQ(x, restart ? 2u : 1u) << "restart=" << restart;
  }
}

}  // namespace
}  // namespace rlvr::sampler
