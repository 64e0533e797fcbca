#include "sampler/engine.h"

#include <algorithm>
#include <deque>
#include <future>
#include <thread>
#include <unordered_set>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "sampler/kv_cache.h"
#include "sampler/sampling.h"
#include "sampler/text.h"

namespace rlvr::sampler {
namespace {

struct SampleState {
  uint32_t index = 0;
  uint64_t seed = 0;
  Rng rng{0};
  SequenceKv kv;
  std::vector<int32_t> tokens;
  std::vector<float> logprobs, sampling_logprobs;
  std::string text;     // bytes of the generated tokens, stop tokens excluded
  bool done = false;
  FinishReason finish = FinishReason::kLength;
};

struct Request {
  uint64_t id = 0;
  GenerationRequest request;
  std::vector<int32_t> prompt;
  std::function<void(SampleResult)> on_sample;
  std::function<void(absl::Status)> on_done;
  std::shared_ptr<const LoadedWeights> weights;
  SequenceKv prefix;
  int64_t prefilled = 0;
  std::vector<SampleState> samples;
  int32_t finished = 0;
  bool report_sampling_logprobs = false;
};

struct PendingUpdate {
  model::ModelWeights weights;
  uint64_t version = 0;
  std::promise<absl::Status> done;
};

class EngineImpl : public Engine {
 public:
  EngineImpl(std::unique_ptr<Backend> backend, std::shared_ptr<const model::Tokenizer> tokenizer,
             EngineOptions options)
      : backend_(std::move(backend)),
        tokenizer_(std::move(tokenizer)),
        options_(std::move(options)),
        pool_(options_.kv_pages, options_.page_size) {}

  absl::Status Start(model::ModelWeights weights, uint64_t version) {
    config_ = weights.config;
    RETURN_IF_ERROR(backend_->AllocateKv(config_, options_.kv_pages, options_.page_size));
    ASSIGN_OR_RETURN(current_, backend_->Load(weights, version));
    host_weights_ = std::make_shared<const model::ModelWeights>(std::move(weights));
    version_ = version;
    eos_.assign(config_.eos_token_ids.begin(), config_.eos_token_ids.end());
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }

  ~EngineImpl() override {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }

  absl::StatusOr<uint64_t> Generate(GenerationRequest request, std::function<void(SampleResult)> on_sample,
                                    std::function<void(absl::Status)> on_done) override;
  void Cancel(uint64_t id) override {
    absl::MutexLock lock(&mu_);
    cancels_.insert(id);
  }
  absl::Status UpdateWeights(WeightUpdate update) override;
  SamplerInfo Info() const override {
    absl::MutexLock lock(&mu_);
    return SamplerInfo{options_.model_name, version_, backend_->name(), options_.max_n, options_.max_tokens,
                       config_.max_position_embeddings};
  }
  EngineStats Stats() const override {
    absl::MutexLock lock(&mu_);
    EngineStats s = stats_;
    s.queued = static_cast<int64_t>(queue_.size());
    s.kv_pages_total = options_.kv_pages;
    s.kv_page_bytes = backend_->PageBytes();
    s.policy_version = version_;
    return s;
  }
  const model::Tokenizer& tokenizer() const override { return *tokenizer_; }

 private:
  void Loop();
  // One scheduler step over the running requests; false when nothing ran.
  bool Step();
  void Admit();
  void ApplyUpdate(PendingUpdate& update);
  void Accept(Request& r, SampleState& s, const TokenChoice& choice);
  void FinishSample(Request& r, SampleState& s);
  // Releases every page of `r` and resets its unfinished samples (they restart from the prompt).
  void Reset(Request& r);
  void Fail(Request& r, const absl::Status& status);
  void RemoveFinished();
  // Updates the KV page counters of Stats() (before a request's on_done, so callers see them).
  void PublishPages() {
    absl::MutexLock lock(&mu_);
    stats_.kv_pages_used = pool_.used();
    stats_.kv_pages_peak = std::max(stats_.kv_pages_peak, pool_.used());
  }

  const std::unique_ptr<Backend> backend_;
  const std::shared_ptr<const model::Tokenizer> tokenizer_;
  const EngineOptions options_;
  model::ModelConfig config_;
  std::vector<int32_t> eos_;

  // Scheduler-thread state.
  PagePool pool_;
  std::shared_ptr<const LoadedWeights> current_;
  std::shared_ptr<const model::ModelWeights> host_weights_;  // the current version, on the host
  std::vector<std::unique_ptr<Request>> running_;
  std::thread thread_;

  absl::Mutex update_mu_;  // one UpdateWeights at a time
  mutable absl::Mutex mu_;
  std::deque<std::unique_ptr<Request>> queue_ ABSL_GUARDED_BY(mu_);
  std::unordered_set<uint64_t> cancels_ ABSL_GUARDED_BY(mu_);
  PendingUpdate* update_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  EngineStats stats_ ABSL_GUARDED_BY(mu_);
  absl::BitGen seeds_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<uint64_t> EngineImpl::Generate(GenerationRequest request, std::function<void(SampleResult)> on_sample,
                                              std::function<void(absl::Status)> on_done) {
  if (!request.model.empty() && request.model != options_.model_name) {
    return absl::NotFoundError(
        absl::StrCat("model \"", request.model, "\" is not served here; this sampler serves \"", options_.model_name, "\""));
  }
  if (request.n < 1 || request.n > options_.max_n) {
    return absl::InvalidArgumentError(absl::StrCat("n is ", request.n, "; must be in [1, ", options_.max_n, "]"));
  }
  const SamplingOptions& so = request.sampling;
  if (so.max_tokens < 1 || so.max_tokens > options_.max_tokens) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling.max_tokens is ", so.max_tokens, "; must be in [1, ", options_.max_tokens, "]"));
  }
  RETURN_IF_ERROR(ValidateSamplingOptions(so));
  for (int32_t id : so.stop_token_ids) {
    if (id < 0 || id >= config_.vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("sampling.stop_token_ids has ", id, "; the vocabulary is [0, ", config_.vocab_size, ")"));
    }
  }
  auto r = std::make_unique<Request>();
  if (!request.prompt_token_ids.empty()) {
    r->prompt = request.prompt_token_ids;
    for (size_t i = 0; i < r->prompt.size(); ++i) {
      if (r->prompt[i] < 0 || r->prompt[i] >= config_.vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat("prompt_token_ids[", i, "] is ", r->prompt[i],
                                                       "; the vocabulary is [0, ", config_.vocab_size, ")"));
      }
    }
  } else {
    r->prompt = tokenizer_->Encode(request.prompt);
  }
  if (r->prompt.empty()) return absl::InvalidArgumentError("prompt is empty");
  const int64_t plen = static_cast<int64_t>(r->prompt.size());
  if (plen >= config_.max_position_embeddings) {
    return absl::InvalidArgumentError(absl::StrCat("prompt is ", plen, " tokens; the model's context is ",
                                                   config_.max_position_embeddings));
  }
  // Worst case: the prompt's pages, plus for each sample its own pages and one copied page.
  const int64_t gen = std::min<int64_t>(so.max_tokens, config_.max_position_embeddings - plen);
  const int64_t worst = pool_.PagesFor(plen) + request.n * (pool_.PagesFor(gen) + 1);
  if (worst > options_.kv_pages) {
    return absl::ResourceExhaustedError(absl::StrCat("request needs up to ", worst, " KV pages (", plen,
                                                     " prompt tokens, n = ", request.n, ", max_tokens = ", so.max_tokens,
                                                     "); the cache has ", options_.kv_pages));
  }
  r->report_sampling_logprobs = SamplingDiffersFromPolicy(so);
  r->on_sample = std::move(on_sample);
  r->on_done = std::move(on_done);
  r->request = std::move(request);
  absl::MutexLock lock(&mu_);
  if (stop_) return absl::UnavailableError("sampler is shutting down");
  if (static_cast<int64_t>(queue_.size()) >= options_.max_queued) {
    return absl::ResourceExhaustedError(absl::StrCat("sampler queue is full (", queue_.size(), " requests waiting)"));
  }
  r->id = next_id_++;
  const uint64_t base = r->request.sampling.seed.has_value() ? *r->request.sampling.seed : seeds_();
  r->samples.resize(static_cast<size_t>(r->request.n));
  for (size_t i = 0; i < r->samples.size(); ++i) {
    r->samples[i].index = static_cast<uint32_t>(i);
    r->samples[i].seed = base + i;
    r->samples[i].rng = Rng(base + i);
  }
  const uint64_t id = r->id;
  queue_.push_back(std::move(r));
  return id;
}

absl::Status EngineImpl::UpdateWeights(WeightUpdate update) {
  absl::MutexLock serial(&update_mu_);
  uint64_t current;
  {
    absl::MutexLock lock(&mu_);
    current = version_;
  }
  if (update.version <= current) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight update version ", update.version, " is not above the serving version ", current));
  }
  const std::map<std::string, std::vector<int64_t>> expected = model::ExpectedTensorShapes(config_);
  for (const auto& [name, tensor] : update.tensors) {
    auto it = expected.find(name);
    if (it == expected.end()) {
      return absl::InvalidArgumentError(absl::StrCat("weight update names tensor \"", name, "\", which this model does not have"));
    }
    if (tensor.shape != it->second) {
      return absl::InvalidArgumentError(absl::StrCat("weight update tensor \"", name, "\" has shape ", tensor.ShapeString(),
                                                     "; the model's is ", model::Tensor{it->second, {}}.ShapeString()));
    }
    if (static_cast<int64_t>(tensor.data.size()) != tensor.numel()) {
      return absl::InvalidArgumentError(absl::StrCat("weight update tensor \"", name, "\" has ", tensor.data.size(),
                                                     " values for shape ", tensor.ShapeString()));
    }
  }
  std::shared_ptr<const model::ModelWeights> base;
  {
    absl::MutexLock lock(&mu_);
    base = host_weights_;
  }
  std::map<std::string, model::Tensor> tensors = model::WeightsToTensors(*base);
  for (auto& [name, tensor] : update.tensors) tensors[name] = std::move(tensor);
  ASSIGN_OR_RETURN(model::ModelWeights weights, model::WeightsFromTensors(config_, std::move(tensors)));
  PendingUpdate pending;
  pending.weights = std::move(weights);
  pending.version = update.version;
  std::future<absl::Status> done = pending.done.get_future();
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return absl::UnavailableError("sampler is shutting down");
    update_ = &pending;
  }
  return done.get();
}

void EngineImpl::ApplyUpdate(PendingUpdate& update) {
  absl::StatusOr<std::shared_ptr<const LoadedWeights>> loaded = backend_->Load(update.weights, update.version);
  if (!loaded.ok()) {
    update.done.set_value(loaded.status());
    return;
  }
  current_ = *loaded;
  auto host = std::make_shared<const model::ModelWeights>(std::move(update.weights));
  {
    absl::MutexLock lock(&mu_);
    host_weights_ = std::move(host);
    version_ = update.version;
  }
  if (options_.restart_on_update) {
    for (auto& r : running_) {
      Reset(*r);
      r->weights = current_;
    }
  }
  update.done.set_value(absl::OkStatus());
}

void EngineImpl::Reset(Request& r) {
  Release(pool_, r.prefix);
  r.prefilled = 0;
  for (SampleState& s : r.samples) {
    if (s.done) continue;
    Release(pool_, s.kv);
    s.tokens.clear();
    s.logprobs.clear();
    s.sampling_logprobs.clear();
    s.text.clear();
    s.rng = Rng(s.seed);
  }
}

void EngineImpl::Fail(Request& r, const absl::Status& status) {
  Release(pool_, r.prefix);
  for (SampleState& s : r.samples) {
    Release(pool_, s.kv);
    s.done = true;
  }
  r.finished = r.request.n;
  PublishPages();
  if (r.on_done) r.on_done(status);
  r.on_done = nullptr;
}

void EngineImpl::Admit() {
  int64_t active = 0;
  for (const auto& r : running_) active += r->request.n - r->finished;
  while (true) {
    std::unique_ptr<Request> r;
    {
      absl::MutexLock lock(&mu_);
      if (queue_.empty()) return;
      Request& front = *queue_.front();
      const int64_t need = pool_.PagesFor(static_cast<int64_t>(front.prompt.size())) + 2 * front.request.n;
      if (!running_.empty() && (active + front.request.n > options_.max_running || pool_.free_count() < need)) return;
      r = std::move(queue_.front());
      queue_.pop_front();
    }
    r->weights = current_;
    active += r->request.n;
    running_.push_back(std::move(r));
  }
}

void EngineImpl::Accept(Request& r, SampleState& s, const TokenChoice& choice) {
  s.tokens.push_back(choice.token);
  s.logprobs.push_back(choice.logprob);
  if (r.report_sampling_logprobs) s.sampling_logprobs.push_back(choice.sampling_logprob);
  const SamplingOptions& so = r.request.sampling;
  const bool stop_token = std::find(eos_.begin(), eos_.end(), choice.token) != eos_.end() ||
                          std::find(so.stop_token_ids.begin(), so.stop_token_ids.end(), choice.token) !=
                              so.stop_token_ids.end();
  if (stop_token) {
    s.finish = FinishReason::kStop;
    s.done = true;
    return;
  }
  const size_t before = s.text.size();
  s.text += tokenizer_->TokenBytes(choice.token);
  size_t cut = std::string::npos;
  for (const std::string& stop : so.stop) {
    const size_t from = before >= stop.size() ? before - stop.size() + 1 : 0;
    const size_t at = s.text.find(stop, from);
    if (at != std::string::npos) cut = std::min(cut, at);
  }
  if (cut != std::string::npos) {
    s.text.resize(cut);
    s.finish = FinishReason::kStop;
    s.done = true;
    return;
  }
  if (static_cast<int32_t>(s.tokens.size()) >= so.max_tokens ||
      s.kv.length + 1 >= config_.max_position_embeddings) {
    s.finish = FinishReason::kLength;
    s.done = true;
  }
}

void EngineImpl::FinishSample(Request& r, SampleState& s) {
  Release(pool_, s.kv);
  ++r.finished;
  SampleResult out;
  out.index = s.index;
  out.token_ids = std::move(s.tokens);
  out.text = ValidUtf8(s.text);
  if (r.request.sampling.logprobs) {
    out.logprobs = std::move(s.logprobs);
    out.sampling_logprobs = std::move(s.sampling_logprobs);
  }
  out.finish_reason = s.finish;
  out.policy_version = r.weights->version();
  out.prompt_tokens = static_cast<uint32_t>(r.prompt.size());
  if (r.on_sample) r.on_sample(std::move(out));
  if (r.finished == r.request.n) {
    Release(pool_, r.prefix);
    PublishPages();
    if (r.on_done) r.on_done(absl::OkStatus());
    r.on_done = nullptr;
  }
}

void EngineImpl::RemoveFinished() {
  running_.erase(std::remove_if(running_.begin(), running_.end(),
                                [&](const std::unique_ptr<Request>& r) { return r->finished == r->request.n; }),
                 running_.end());
}

bool EngineImpl::Step() {
  // Reserve the pages of this step's chunks; when the cache is full, the newest request gives
  // its pages back and waits at the front of the queue (it restarts from its prompt).
  struct Row {
    Request* r;
    SampleState* s;  // null: a prefill chunk of r's prompt
    int64_t end;     // positions cached once the step ran
  };
  std::vector<Row> rows;
  std::vector<SequenceChunk> chunks;
  auto copy = [this](int32_t from, int32_t to) { backend_->CopyPage(from, to); };
  while (true) {
    rows.clear();
    chunks.clear();
    absl::Status reserve = absl::OkStatus();
    int64_t prefill_budget = options_.prefill_chunk;
    for (auto& rp : running_) {
      Request& r = *rp;
      const int64_t plen = static_cast<int64_t>(r.prompt.size());
      if (r.prefilled < plen) {
        if (prefill_budget <= 0) continue;
        const int64_t end = std::min(plen, r.prefilled + prefill_budget);
        prefill_budget -= end - r.prefilled;
        reserve = Reserve(pool_, r.prefix, end, copy);
        if (!reserve.ok()) break;
        SequenceChunk ch;
        ch.tokens.assign(r.prompt.begin() + r.prefilled, r.prompt.begin() + end);
        ch.start_pos = r.prefilled;
        ch.pages = r.prefix.pages;
        chunks.push_back(std::move(ch));
        rows.push_back({&r, nullptr, end});
        continue;
      }
      for (SampleState& s : r.samples) {
        if (s.done) continue;
        reserve = Reserve(pool_, s.kv, s.kv.length + 1, copy);
        if (!reserve.ok()) break;
        SequenceChunk ch;
        ch.tokens = {s.tokens.back()};
        ch.start_pos = s.kv.length;
        ch.pages = s.kv.pages;
        chunks.push_back(std::move(ch));
        rows.push_back({&r, &s, s.kv.length + 1});
      }
      if (!reserve.ok()) break;
    }
    if (reserve.ok()) break;
    Request& newest = *running_.back();
    if (running_.size() == 1) {
      Fail(newest, reserve);
      RemoveFinished();
      return true;
    }
    Reset(newest);
    absl::MutexLock lock(&mu_);
    queue_.push_front(std::move(running_.back()));
    running_.pop_back();
  }
  if (chunks.empty()) return false;

  // One forward per weights version in the batch (usually one).
  std::vector<const LoadedWeights*> versions;
  for (const Row& row : rows) {
    if (std::find(versions.begin(), versions.end(), row.r->weights.get()) == versions.end()) {
      versions.push_back(row.r->weights.get());
    }
  }
  int64_t prompt_tokens = 0, sampled = 0;
  for (const LoadedWeights* version : versions) {
    std::vector<SequenceChunk> batch;
    std::vector<size_t> index;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].r->weights.get() != version) continue;
      batch.push_back(std::move(chunks[i]));
      index.push_back(i);
    }
    std::vector<float> logits;
    absl::Status status = backend_->Forward(*version, batch, &logits);
    if (!status.ok()) {
      for (size_t i : index) {
        if (rows[i].r->finished < rows[i].r->request.n) Fail(*rows[i].r, status);
      }
      continue;
    }
    const int64_t vocab = config_.vocab_size;
    for (size_t b = 0; b < index.size(); ++b) {
      Row& row = rows[index[b]];
      Request& r = *row.r;
      const float* row_logits = logits.data() + static_cast<int64_t>(b) * vocab;
      if (row.s == nullptr) {
        prompt_tokens += row.end - r.prefilled;
        r.prefix.length = row.end;
        r.prefilled = row.end;
        if (r.prefilled < static_cast<int64_t>(r.prompt.size())) continue;
        // The prompt is in the cache: every unfinished sample forks it and draws its first token
        // from the same logits.
        for (SampleState& s : r.samples) {
          if (s.done) continue;
          s.kv = Fork(pool_, r.prefix);
          ++sampled;
          Accept(r, s, SampleToken(row_logits, vocab, r.request.sampling, s.rng));
          if (s.done) FinishSample(r, s);
        }
        continue;
      }
      SampleState& s = *row.s;
      s.kv.length = row.end;
      ++sampled;
      Accept(r, s, SampleToken(row_logits, vocab, r.request.sampling, s.rng));
      if (s.done) FinishSample(r, s);
    }
  }
  {
    absl::MutexLock lock(&mu_);
    ++stats_.steps;
    stats_.batch_rows += rows.size();
    stats_.generated_tokens += static_cast<uint64_t>(sampled);
    stats_.prompt_tokens += static_cast<uint64_t>(prompt_tokens);
    stats_.kv_pages_used = pool_.used();
    stats_.kv_pages_peak = std::max(stats_.kv_pages_peak, pool_.used());
  }
  RemoveFinished();
  return true;
}

void EngineImpl::Loop() {
  while (true) {
    std::unordered_set<uint64_t> cancels;
    std::vector<std::unique_ptr<Request>> cancelled_queued;
    PendingUpdate* update = nullptr;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || !queue_.empty() || !running_.empty() || update_ != nullptr || !cancels_.empty();
      };
      mu_.Await(absl::Condition(&has_work));
      stop = stop_;
      cancels.swap(cancels_);
      update = update_;
      update_ = nullptr;
      if (stop) {
        for (auto& r : queue_) cancelled_queued.push_back(std::move(r));
        queue_.clear();
      } else if (!cancels.empty()) {
        for (auto it = queue_.begin(); it != queue_.end();) {
          if (cancels.count((*it)->id)) {
            cancelled_queued.push_back(std::move(*it));
            it = queue_.erase(it);
          } else {
            ++it;
          }
        }
      }
    }
    for (auto& r : cancelled_queued) {
      if (r->on_done) r->on_done(stop ? absl::CancelledError("sampler is shutting down") : absl::CancelledError(
                                                                                             absl::StrCat("request ", r->id, " cancelled")));
    }
    if (stop) {
      for (auto& r : running_) {
        if (r->finished < r->request.n) Fail(*r, absl::CancelledError("sampler is shutting down"));
      }
      running_.clear();
      if (update != nullptr) update->done.set_value(absl::UnavailableError("sampler is shutting down"));
      return;
    }
    for (auto& r : running_) {
      if (cancels.count(r->id) && r->finished < r->request.n) {
        Fail(*r, absl::CancelledError(absl::StrCat("request ", r->id, " cancelled")));
      }
    }
    RemoveFinished();
    if (update != nullptr) ApplyUpdate(*update);
    Admit();
    {
      absl::MutexLock lock(&mu_);
      stats_.running = 0;
      for (const auto& r : running_) stats_.running += r->request.n - r->finished;
    }
    Step();
    PublishPages();
    absl::MutexLock lock(&mu_);
    stats_.running = 0;
    for (const auto& r : running_) stats_.running += r->request.n - r->finished;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(std::unique_ptr<Backend> backend, model::ModelWeights weights,
                                                       uint64_t version,
                                                       std::shared_ptr<const model::Tokenizer> tokenizer,
                                                       EngineOptions options) {
  if (backend == nullptr || tokenizer == nullptr) return absl::InvalidArgumentError("engine needs a backend and a tokenizer");
  if (options.max_n < 1 || options.max_tokens < 1 || options.kv_pages < 1 || options.page_size < 1 ||
      options.max_running < 1 || options.max_queued < 1 || options.prefill_chunk < 1) {
    return absl::InvalidArgumentError(absl::StrCat("engine options out of range: max_n ", options.max_n, ", max_tokens ",
                                                   options.max_tokens, ", kv_pages ", options.kv_pages, ", page_size ",
                                                   options.page_size, ", max_running ", options.max_running));
  }
  if (tokenizer->vocab_size() > weights.config.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat("tokenizer has ", tokenizer->vocab_size(),
                                                   " tokens; the model's vocabulary is ", weights.config.vocab_size));
  }
  auto engine = std::make_unique<EngineImpl>(std::move(backend), std::move(tokenizer), std::move(options));
  RETURN_IF_ERROR(engine->Start(std::move(weights), version));
  return engine;
}

}  // namespace rlvr::sampler
