// A scripted Sampler for the service tests: deterministic samples computed from the request (so a
// test knows what to expect without a model), tensors checked against a tiny fixed "model", and
// knobs to hold a request mid-stream or refuse everything.
#ifndef RLVR_SAMPLER_SERVICE_FAKE_SAMPLER_H_
#define RLVR_SAMPLER_SERVICE_FAKE_SAMPLER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/thread_pool.h"
#include "sampler/sampler.h"

namespace rlvr::sampler::testing {

class FakeSampler final : public Sampler {
 public:
  static constexpr int32_t kMaxN = 8;
  static constexpr int32_t kMaxTokens = 64;

  FakeSampler() : pool_(std::make_unique<ThreadPool>(4, 64)) {}
  ~FakeSampler() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    pool_.reset();
  }

  // The tensors of the fake model and their shapes.
  static std::map<std::string, std::vector<int64_t>> Shapes() {
    return {{"layer.a", {2, 3}}, {"layer.b", {5}}, {"layer.c", {4, 4}}};
  }

  // Sample `index` of `request` as this sampler makes it under `version`. Seeded requests are
  // reproducible; greedy ones (temperature 0) give every index the same tokens.
  static SampleResult Expected(const GenerationRequest& request, uint32_t index, uint64_t version) {
    uint64_t h = 1469598103934665603ull;
    for (char c : request.prompt) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
    for (int32_t id : request.prompt_token_ids)
      h = (h ^ static_cast<uint64_t>(id)) * 1099511628211ull;
    h ^= request.sampling.seed.value_or(0) * 0x9E3779B97F4A7C15ull;
    if (request.sampling.temperature != 0) h += (index + 1) * 0xBF58476D1CE4E5B9ull;
    SampleResult s;
    s.index = index;
    for (int32_t k = 0; k < request.sampling.max_tokens; ++k) {
      h = (h ^ (h >> 31)) * 0x94D049BB133111EBull;
      const int32_t token = static_cast<int32_t>(h % 100);
      s.token_ids.push_back(token);
      absl::StrAppend(&s.text, "t", token, " ");
      if (request.sampling.logprobs)
        s.logprobs.push_back(-0.25f * static_cast<float>(1 + token % 5));
    }
    s.finish_reason = index % 2 == 1 ? FinishReason::kStop : FinishReason::kLength;
    s.policy_version = version;
    s.prompt_tokens = static_cast<uint32_t>(
        request.prompt_token_ids.empty() ? request.prompt.size() : request.prompt_token_ids.size());
    return s;
  }

  absl::StatusOr<uint64_t> Generate(GenerationRequest request,
                                    std::function<void(SampleResult)> on_sample,
                                    std::function<void(absl::Status)> on_done) override {
    if (!request.model.empty() && request.model != "fake") {
      return absl::NotFoundError(absl::StrCat("model \"", request.model, "\" is not served here"));
    }
    if (request.n < 1 || request.n > kMaxN) {
      return absl::InvalidArgumentError(
          absl::StrCat("n is ", request.n, "; must be in [1, ", kMaxN, "]"));
    }
    if (request.sampling.max_tokens < 1 || request.sampling.max_tokens > kMaxTokens) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sampling.max_tokens is ", request.sampling.max_tokens, "; must be in [1, 64]"));
    }
    if (request.sampling.temperature < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("sampling.temperature is ", request.sampling.temperature, "; must be >= 0"));
    }
    if (request.prompt.empty() && request.prompt_token_ids.empty()) {
      return absl::InvalidArgumentError("prompt is empty");
    }
    uint64_t id = 0, version = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!refuse_.ok()) return refuse_;
      id = next_id_++;
      version = version_;
      last_request_ = request;
    }
    auto done = std::make_shared<std::function<void(absl::Status)>>(std::move(on_done));
    absl::Status queued = pool_->TrySubmit(
        [this, id, version, request = std::move(request), on_sample = std::move(on_sample), done] {
          for (int32_t i = 0; i < request.n; ++i) {
            {
              std::unique_lock<std::mutex> lock(mu_);
              if (i == 1 && hold_) {
                ++held_;
                cv_.notify_all();
                cv_.wait(lock, [&] { return !hold_ || cancelled_.count(id) > 0 || stopping_; });
                --held_;
              }
              if (cancelled_.count(id) > 0 || stopping_) {
                lock.unlock();
                (*done)(absl::CancelledError(absl::StrCat("request ", id, " cancelled")));
                return;
              }
            }
            on_sample(Expected(request, static_cast<uint32_t>(i), version));
          }
          (*done)(absl::OkStatus());
        });
    if (!queued.ok()) return queued;
    return id;
  }

  void Cancel(uint64_t id) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled_.insert(id);
      ++cancels_;
    }
    cv_.notify_all();
  }

  absl::Status UpdateWeights(WeightUpdate update) override {
    const auto shapes = Shapes();
    std::lock_guard<std::mutex> lock(mu_);
    if (update.version <= version_) {
      return absl::InvalidArgumentError(absl::StrCat("weight update version ", update.version,
                                                     " is not above the serving version ",
                                                     version_));
    }
    for (const auto& [name, tensor] : update.tensors) {
      auto it = shapes.find(name);
      if (it == shapes.end()) {
        return absl::InvalidArgumentError(absl::StrCat("weight update names tensor \"", name,
                                                       "\", which this model does not have"));
      }
      if (it->second != tensor.shape) {
        return absl::InvalidArgumentError(
            absl::StrCat("weight update tensor \"", name, "\" has shape ", tensor.ShapeString()));
      }
    }
    version_ = update.version;
    ++updates_;
    last_update_ = std::move(update);
    return absl::OkStatus();
  }

  SamplerInfo Info() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return SamplerInfo{"fake", version_, "fake", kMaxN, kMaxTokens, 128};
  }

  // Holds every request after its first sample until it is cancelled or Hold(false).
  void Hold(bool hold) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hold_ = hold;
    }
    cv_.notify_all();
  }
  // Waits until `n` requests are held (true) or 10 s passed (false).
  bool WaitHeld(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return held_ >= n; });
  }
  // Every Generate from now on answers `status` (OK: serve again).
  void Refuse(absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    refuse_ = std::move(status);
  }
  int cancels() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cancels_;
  }
  int updates() const {
    std::lock_guard<std::mutex> lock(mu_);
    return updates_;
  }
  WeightUpdate last_update() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_update_;
  }
  GenerationRequest last_request() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_request_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_ = 1;
  uint64_t version_ = 1;
  bool hold_ = false;
  bool stopping_ = false;
  int held_ = 0;
  int cancels_ = 0;
  int updates_ = 0;
  absl::Status refuse_;
  std::set<uint64_t> cancelled_;
  WeightUpdate last_update_;
  GenerationRequest last_request_;
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace rlvr::sampler::testing

#endif  // RLVR_SAMPLER_SERVICE_FAKE_SAMPLER_H_
