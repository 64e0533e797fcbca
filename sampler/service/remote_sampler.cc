#include "sampler/service/remote_sampler.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/jsonl.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace rlvr::sampler {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxMessageBytes = 500;  // of an engine's error body quoted in a status

// The error code for an engine's HTTP status.
absl::StatusCode CodeForHttp(int status) {
  switch (status) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 408:
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    case 413:
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 501:
      return absl::StatusCode::kUnimplemented;
    case 502:
    case 503:
      return absl::StatusCode::kUnavailable;
    default:
      return status >= 400 && status < 500 ? absl::StatusCode::kFailedPrecondition
                                           : absl::StatusCode::kInternal;
  }
}

// The message of an error body in any of the usual shapes: {"error": {"message"}} (OpenAI, rlvr),
// {"error": "..."}, {"message"} (vLLM), {"detail"} (FastAPI); else the body itself, shortened.
std::string ErrorMessageOf(const std::string& body) {
  absl::StatusOr<Json> json = ParseJson(body);
  if (json.ok() && json->is_object()) {
    const Json& j = *json;
    if (auto e = j.find("error"); e != j.end()) {
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) {
        return (*e)["message"].get<std::string>();
      }
      if (e->is_string()) return e->get<std::string>();
    }
    for (const char* key : {"message", "detail"}) {
      if (auto m = j.find(key); m != j.end())
        return m->is_string() ? m->get<std::string>() : m->dump();
    }
  }
  std::string text = body.substr(0, kMaxMessageBytes);
  if (body.size() > kMaxMessageBytes) text += "...";
  return text.empty() ? "(empty body)" : text;
}

absl::Status Malformed(const std::string& url, const std::string& what) {
  return absl::InternalError(
      absl::StrCat("the engine at ", url, " answered malformed JSON: ", what));
}

// "token_id:123" -> 123.
bool ParseTokenIdString(const std::string& token, int32_t* id) {
  constexpr std::string_view kPrefix = "token_id:";
  if (token.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  return absl::SimpleAtoi(absl::string_view(token).substr(kPrefix.size()), id) && *id >= 0;
}

}  // namespace

// One Generate call: queued, then running on a worker.
struct RemoteSampler::Request {
  uint64_t id = 0;
  GenerationRequest request;
  std::function<void(SampleResult)> on_sample;
  std::function<void(absl::Status)> on_done;
  std::mutex mu;
  bool cancelled ABSL_GUARDED_BY(mu) = false;
  httplib::Client* client ABSL_GUARDED_BY(mu) = nullptr;  // while its call runs
};

RemoteSampler::RemoteSampler(RemoteSamplerOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<RemoteSampler>> RemoteSampler::Create(RemoteSamplerOptions options) {
  std::string url = options.base_url;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos ||
      (url.compare(0, scheme_end, "http") != 0 && url.compare(0, scheme_end, "https") != 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("remote URL \"", url, "\" must start with http:// or https://"));
  }
  const size_t host_start = scheme_end + 3;
  const size_t path_start = std::min(url.find('/', host_start), url.size());
  if (path_start == host_start) {
    return absl::InvalidArgumentError(absl::StrCat("remote URL \"", url, "\" has no host"));
  }
  std::string path = url.substr(path_start);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (absl::EndsWith(path, "/v1")) path.resize(path.size() - 3);
  if (options.max_n < 1 || options.max_tokens < 1 || options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("remote sampler options: max_n ", options.max_n, ", max_tokens ",
                     options.max_tokens, " and threads ", options.threads, " must be >= 1"));
  }
  std::unique_ptr<RemoteSampler> sampler(new RemoteSampler(std::move(options)));
  sampler->scheme_host_port_ = url.substr(0, path_start);
  sampler->path_prefix_ = path;
  sampler->completions_url_ = absl::StrCat(sampler->scheme_host_port_, path, "/v1/completions");
  sampler->models_url_ = absl::StrCat(sampler->scheme_host_port_, path, "/v1/models");
  sampler->version_ = sampler->options_.policy_version;
  sampler->model_ = sampler->options_.model;
  sampler->pool_ =
      std::make_unique<ThreadPool>(sampler->options_.threads, sampler->options_.max_queued);
  (void)sampler->RefreshModels();  // best effort: the engine may start after us
  return sampler;
}

RemoteSampler::~RemoteSampler() {
  std::vector<uint64_t> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    for (const auto& [id, request] : requests_) ids.push_back(id);
  }
  for (uint64_t id : ids) Cancel(id);
  pool_.reset();  // runs what is queued (each finds itself cancelled) and joins
}

// A configured httplib client; one per call, so Cancel can stop just that call.
class RemoteSampler::Http {
 public:
  Http(const RemoteSamplerOptions& options, const std::string& scheme_host_port)
      : client_(scheme_host_port) {
    client_.set_connection_timeout(absl::ToChronoSeconds(options.connect_timeout));
    client_.set_read_timeout(absl::ToChronoMilliseconds(options.request_timeout));
    client_.set_write_timeout(absl::ToChronoMilliseconds(options.request_timeout));
    client_.set_keep_alive(false);
    if (!options.api_key.empty()) client_.set_bearer_token_auth(options.api_key.c_str());
  }
  httplib::Client& client() { return client_; }

  // The answer's body, or the status naming `url` and what went wrong.
  static absl::StatusOr<std::string> Check(const httplib::Result& result, const std::string& what,
                                           const std::string& url, absl::Duration elapsed,
                                           absl::Duration timeout) {
    if (!result) {
      const httplib::Error error = result.error();
      const std::string reason = httplib::to_string(error);
      switch (error) {
        case httplib::Error::Canceled:
          return absl::CancelledError(absl::StrCat(what, " to ", url, " was cancelled"));
        case httplib::Error::Read:
          if (elapsed >= timeout - absl::Milliseconds(50)) {
            return absl::DeadlineExceededError(absl::StrCat(
                "the engine at ", url, " did not answer within ", absl::FormatDuration(timeout)));
          }
          return absl::UnavailableError(absl::StrCat("the connection to the engine at ", url,
                                                     " broke while reading the answer (", reason,
                                                     ")"));
        case httplib::Error::ConnectionTimeout:
          return absl::UnavailableError(
              absl::StrCat("cannot connect to the engine at ", url, ": connection timed out"));
        default:
          return absl::UnavailableError(
              absl::StrCat("cannot reach the engine at ", url, ": ", reason));
      }
    }
    if (result->status < 200 || result->status >= 300) {
      return absl::Status(CodeForHttp(result->status),
                          absl::StrCat("the engine at ", url, " answered HTTP ", result->status,
                                       ": ", ErrorMessageOf(result->body)));
    }
    return result->body;
  }

 private:
  httplib::Client client_;
};

absl::Status RemoteSampler::RefreshModels() {
  Http http(options_, scheme_host_port_);
  const absl::Time start = absl::Now();
  httplib::Result result = http.client().Get(absl::StrCat(path_prefix_, "/v1/models"));
  ASSIGN_OR_RETURN(std::string body, Http::Check(result, "GET", models_url_, absl::Now() - start,
                                                 options_.request_timeout));
  absl::StatusOr<Json> json = ParseJson(body);
  if (!json.ok()) return Malformed(models_url_, std::string(json.status().message()));
  if (!json->is_object() || !json->contains("data") || !(*json)["data"].is_array() ||
      (*json)["data"].empty()) {
    return Malformed(models_url_, "expected {\"data\": [{\"id\": ...}, ...]}");
  }
  const Json* chosen = nullptr;
  for (const Json& model : (*json)["data"]) {
    if (!model.is_object() || !model.contains("id") || !model["id"].is_string()) {
      return Malformed(models_url_, "a model has no string \"id\"");
    }
    if (options_.model.empty() || model["id"] == options_.model) {
      chosen = &model;
      break;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (chosen == nullptr) {
    return absl::NotFoundError(absl::StrCat("the engine at ", models_url_,
                                            " does not serve model \"", options_.model, "\""));
  }
  model_ = (*chosen)["id"].get<std::string>();
  if (auto len = chosen->find("max_model_len"); len != chosen->end() && len->is_number_integer()) {
    context_length_ = len->get<int64_t>();
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> RemoteSampler::Generate(GenerationRequest request,
                                                 std::function<void(SampleResult)> on_sample,
                                                 std::function<void(absl::Status)> on_done) {
  const SamplingOptions& s = request.sampling;
  if (request.n < 1 || request.n > options_.max_n) {
    return absl::InvalidArgumentError(
        absl::StrCat("n is ", request.n, "; expected 1..", options_.max_n));
  }
  if (s.max_tokens < 1 || s.max_tokens > options_.max_tokens) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_tokens is ", s.max_tokens, "; expected 1..", options_.max_tokens));
  }
  if (!std::isfinite(s.temperature) || s.temperature < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("temperature is ", s.temperature, "; expected a finite number >= 0"));
  }
  if (!(s.top_p > 0 && s.top_p <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("top_p is ", s.top_p, "; expected (0, 1]"));
  }
  if (s.top_k < 0) {
    return absl::InvalidArgumentError(absl::StrCat("top_k is ", s.top_k, "; expected >= 0"));
  }
  if (!(s.min_p >= 0 && s.min_p < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("min_p is ", s.min_p, "; expected [0, 1)"));
  }
  if (request.prompt.empty() && request.prompt_token_ids.empty()) {
    return absl::InvalidArgumentError("prompt is empty (neither text nor token ids)");
  }
  for (int32_t id : request.prompt_token_ids) {
    if (id < 0) return absl::InvalidArgumentError(absl::StrCat("prompt_token_ids has ", id));
  }
  auto pending = std::make_shared<Request>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) return absl::UnavailableError("the remote sampler is shutting down");
    if (!request.model.empty() && !model_.empty() && request.model != model_) {
      return absl::NotFoundError(absl::StrCat("model \"", request.model,
                                              "\" is not served here; the engine at ",
                                              scheme_host_port_, " serves \"", model_, "\""));
    }
    pending->id = next_id_++;
    requests_.emplace(pending->id, pending);
  }
  pending->request = std::move(request);
  pending->on_sample = std::move(on_sample);
  pending->on_done = std::move(on_done);
  absl::Status queued = pool_->TrySubmit([this, pending] { Run(pending); });
  if (!queued.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.erase(pending->id);
    return queued.code() == absl::StatusCode::kResourceExhausted
               ? absl::ResourceExhaustedError(
                     absl::StrCat("the remote sampler has ", options_.max_queued,
                                  " requests waiting for the engine at ", scheme_host_port_))
               : queued;
  }
  return pending->id;
}

void RemoteSampler::Cancel(uint64_t id) {
  std::shared_ptr<Request> request;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    request = it->second;
  }
  std::lock_guard<std::mutex> lock(request->mu);
  request->cancelled = true;
  if (request->client != nullptr) request->client->stop();  // the blocked call returns
}

void RemoteSampler::Run(const std::shared_ptr<Request>& request) {
  std::vector<SampleResult> samples;
  absl::Status status = Call(*request, &samples);
  bool cancelled = false;
  {
    std::lock_guard<std::mutex> lock(request->mu);
    cancelled = request->cancelled;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.erase(request->id);
  }
  if (cancelled) {
    request->on_done(absl::CancelledError(absl::StrCat("request ", request->id, " was cancelled")));
    return;
  }
  if (!status.ok()) {
    request->on_done(status);
    return;
  }
  for (SampleResult& sample : samples) request->on_sample(std::move(sample));
  request->on_done(absl::OkStatus());
}

absl::Status RemoteSampler::Call(Request& request, std::vector<SampleResult>* samples) {
  {
    std::lock_guard<std::mutex> lock(request.mu);
    if (request.cancelled) return absl::CancelledError("cancelled");
  }
  std::string model;
  uint64_t version = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    model = model_;
    version = version_;
  }
  if (model.empty()) {
    RETURN_IF_ERROR(RefreshModels());
    std::lock_guard<std::mutex> lock(mu_);
    model = model_;
  }
  const GenerationRequest& r = request.request;
  const SamplingOptions& s = r.sampling;
  Json body = {{"model", r.model.empty() ? model : r.model},
               {"n", r.n},
               {"temperature", s.temperature},
               {"top_p", s.top_p},
               {"max_tokens", s.max_tokens},
               {"logprobs", 0},
               {"return_tokens_as_token_ids", true},
               {"return_token_ids", true},
               {"stream", false}};
  if (!r.prompt_token_ids.empty()) {
    body["prompt"] = r.prompt_token_ids;
  } else {
    body["prompt"] = r.prompt;
  }
  if (!s.stop.empty()) body["stop"] = s.stop;
  if (!s.stop_token_ids.empty()) body["stop_token_ids"] = s.stop_token_ids;
  if (s.top_k > 0) body["top_k"] = s.top_k;
  if (s.min_p > 0) body["min_p"] = s.min_p;
  if (s.seed.has_value()) body["seed"] = *s.seed;

  Http http(options_, scheme_host_port_);
  {
    std::lock_guard<std::mutex> lock(request.mu);
    if (request.cancelled) return absl::CancelledError("cancelled");
    request.client = &http.client();
  }
  const absl::Time start = absl::Now();
  httplib::Result result = http.client().Post(absl::StrCat(path_prefix_, "/v1/completions"),
                                              DumpJson(body), "application/json");
  {
    std::lock_guard<std::mutex> lock(request.mu);
    request.client = nullptr;
  }
  ASSIGN_OR_RETURN(std::string text, Http::Check(result, "POST", completions_url_,
                                                 absl::Now() - start, options_.request_timeout));

  // The answer: n choices, each index once.
  absl::StatusOr<Json> json = ParseJson(text);
  if (!json.ok()) return Malformed(completions_url_, std::string(json.status().message()));
  if (!json->is_object() || !json->contains("choices") || !(*json)["choices"].is_array()) {
    return Malformed(completions_url_, "no \"choices\" list");
  }
  const Json& choices = (*json)["choices"];
  if (choices.size() != static_cast<size_t>(r.n)) {
    return Malformed(completions_url_, absl::StrCat(choices.size(), " choices for n = ", r.n));
  }
  uint32_t prompt_tokens = 0;
  if (auto usage = json->find("usage"); usage != json->end() && usage->is_object()) {
    if (auto p = usage->find("prompt_tokens"); p != usage->end() && p->is_number_unsigned()) {
      prompt_tokens = static_cast<uint32_t>(std::min<uint64_t>(p->get<uint64_t>(), UINT32_MAX));
    }
  }
  std::vector<bool> seen(r.n, false);
  samples->clear();
  for (size_t i = 0; i < choices.size(); ++i) {
    const Json& c = choices[i];
    const std::string where = absl::StrCat("choices[", i, "]");
    if (!c.is_object())
      return Malformed(completions_url_, absl::StrCat(where, " is not an object"));
    SampleResult sample;
    if (auto index = c.find("index"); index != c.end()) {
      if (!index->is_number_unsigned() || index->get<uint64_t>() >= static_cast<uint64_t>(r.n)) {
        return Malformed(completions_url_, absl::StrCat(where, ".index is ", index->dump(),
                                                        "; expected 0..", r.n - 1));
      }
      sample.index = index->get<uint32_t>();
    } else {
      sample.index = static_cast<uint32_t>(i);
    }
    if (seen[sample.index]) {
      return Malformed(completions_url_,
                       absl::StrCat("choice index ", sample.index, " appears twice"));
    }
    seen[sample.index] = true;
    auto text_it = c.find("text");
    if (text_it == c.end() || !text_it->is_string()) {
      return Malformed(completions_url_, absl::StrCat(where, ".text is not a string"));
    }
    sample.text = text_it->get<std::string>();
    const Json* finish = c.contains("finish_reason") ? &c["finish_reason"] : nullptr;
    if (finish != nullptr && *finish == "stop") {
      sample.finish_reason = FinishReason::kStop;
    } else if (finish != nullptr && *finish == "length") {
      sample.finish_reason = FinishReason::kLength;
    } else {
      sample.finish_reason = FinishReason::kAborted;
    }
    // Token ids: the choice's own list (vLLM return_token_ids, rlvr), else "token_id:N" tokens.
    const Json* logprobs =
        c.contains("logprobs") && c["logprobs"].is_object() ? &c["logprobs"] : nullptr;
    if (auto ids = c.find("token_ids"); ids != c.end() && ids->is_array()) {
      for (const Json& id : *ids) {
        if (!id.is_number_integer()) {
          return Malformed(completions_url_, absl::StrCat(where, ".token_ids holds ", id.dump()));
        }
        sample.token_ids.push_back(id.get<int32_t>());
      }
    } else if (logprobs != nullptr && logprobs->contains("tokens") &&
               (*logprobs)["tokens"].is_array()) {
      for (const Json& token : (*logprobs)["tokens"]) {
        int32_t id = 0;
        if (!token.is_string() || !ParseTokenIdString(token.get<std::string>(), &id)) {
          sample.token_ids.clear();  // the engine named tokens by text: ids unknown
          break;
        }
        sample.token_ids.push_back(id);
      }
    }
    if (s.logprobs && logprobs != nullptr && logprobs->contains("token_logprobs") &&
        (*logprobs)["token_logprobs"].is_array()) {
      for (const Json& lp : (*logprobs)["token_logprobs"]) {
        sample.logprobs.push_back(lp.is_number() ? lp.get<float>()
                                                 : -std::numeric_limits<float>::infinity());
      }
    }
    sample.policy_version = version;
    sample.prompt_tokens = prompt_tokens;
    samples->push_back(std::move(sample));
  }
  std::sort(samples->begin(), samples->end(),
            [](const SampleResult& a, const SampleResult& b) { return a.index < b.index; });
  return absl::OkStatus();
}

absl::Status RemoteSampler::UpdateWeights(WeightUpdate update) {
  if (!update.tensors.empty()) {
    return absl::UnimplementedError(absl::StrCat(
        "this sampler fronts the engine at ", scheme_host_port_,
        ", which holds the weights: load the ", update.tensors.size(),
        " tensors through that engine's own API, then send a version-only update (no tensors) "
        "to record the version it serves"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (update.version <= version_) {
    return absl::InvalidArgumentError(
        absl::StrCat("version ", update.version, " is not above the current version ", version_));
  }
  version_ = update.version;
  return absl::OkStatus();
}

SamplerInfo RemoteSampler::Info() const {
  std::lock_guard<std::mutex> lock(mu_);
  SamplerInfo info;
  info.model = model_;
  info.policy_version = version_;
  info.backend = "remote";
  info.max_n = options_.max_n;
  info.max_tokens = options_.max_tokens;
  info.context_length = context_length_;
  return info;
}

}  // namespace rlvr::sampler
