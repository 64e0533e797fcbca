#include "sampler/service/openai_http.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/jsonl.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace rlvr::sampler {
namespace {

using Json = nlohmann::json;

// An error with the request field it is about ("" when none).
struct FieldError {
  absl::Status status;
  std::string param;
};

HttpResponse ErrorResponse(const absl::Status& status, const std::string& param = "") {
  const int http = OpenAiHttpStatus(status);
  std::string type = "server_error";
  if (http == 400 || http == 404) type = "invalid_request_error";
  if (http == 429) type = "rate_limit_error";
  Json error = {{"message", std::string(status.message())},
                {"type", type},
                {"param", param.empty() ? Json(nullptr) : Json(param)},
                {"code", absl::StatusCodeToString(status.code())}};
  return HttpResponse{http, "application/json", DumpJson(Json{{"error", error}})};
}

// The request field a sampler's message is about, when it starts with one ("temperature is -1").
std::string ParamOf(const absl::Status& status) {
  static const char* const kParams[] = {"n",
                                        "temperature",
                                        "top_p",
                                        "top_k",
                                        "min_p",
                                        "max_tokens",
                                        "stop_token_ids",
                                        "stop",
                                        "seed",
                                        "model",
                                        "prompt_token_ids",
                                        "prompt"};
  std::string_view message(status.message().data(), status.message().size());
  if (message.substr(0, 9) == "sampling.") message.remove_prefix(9);  // the domain's field path
  for (const char* param : kParams) {
    const std::string_view p(param);
    if (message.substr(0, p.size()) == p &&
        (message.size() == p.size() || message[p.size()] == ' ' || message[p.size()] == '=' ||
         message[p.size()] == ':' || message[p.size()] == '[')) {
      return p == "prompt_token_ids" ? "prompt" : std::string(p);
    }
  }
  return "";
}

const Json* Find(const Json& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

absl::Status TypeError(const char* key, const char* expected, const Json& value) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", key, "\" must be ", expected, ", got ", value.type_name()));
}

// An integer field (an integral float is accepted) in [min, max], or `fallback` when absent/null.
absl::StatusOr<int64_t> IntField(const Json& body, const char* key, int64_t fallback, int64_t min,
                                 int64_t max) {
  const Json* value = Find(body, key);
  if (value == nullptr) return fallback;
  double d = 0;
  if (value->is_number_unsigned()) {
    const uint64_t u = value->get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) {
      return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" is ", u, "; at most ", max));
    }
    return static_cast<int64_t>(u);
  }
  if (value->is_number_integer()) {
    d = static_cast<double>(value->get<int64_t>());
  } else if (value->is_number_float() && std::floor(value->get<double>()) == value->get<double>()) {
    d = value->get<double>();
  } else {
    return TypeError(key, "an integer", *value);
  }
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", key, "\" is ", value->dump(), "; expected ", min, "..", max));
  }
  return value->is_number_integer() ? value->get<int64_t>() : static_cast<int64_t>(d);
}

absl::StatusOr<float> FloatField(const Json& body, const char* key, float fallback) {
  const Json* value = Find(body, key);
  if (value == nullptr) return fallback;
  if (!value->is_number()) return TypeError(key, "a number", *value);
  const double d = value->get<double>();
  if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", key, "\" is ", value->dump(), "; expected a finite number"));
  }
  return static_cast<float>(d);
}

// A token id list: every element an integer in [0, INT32_MAX].
absl::StatusOr<std::vector<int32_t>> TokenIds(const Json& list, const std::string& where) {
  std::vector<int32_t> ids;
  ids.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& v = list[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 ||
        v.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat(where, "[", i, "] is ", v.dump(),
                                                     "; expected a token id (an integer >= 0)"));
    }
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return ids;
}

struct Prompt {
  std::string text;
  std::vector<int32_t> token_ids;  // used when non-empty
};

absl::StatusOr<std::vector<Prompt>> Prompts(const Json& body, int32_t max_prompts) {
  const Json* value = Find(body, "prompt");
  if (value == nullptr) return absl::InvalidArgumentError("\"prompt\" is required");
  std::vector<Prompt> prompts;
  if (value->is_string()) {
    prompts.push_back({value->get<std::string>(), {}});
    return prompts;
  }
  if (!value->is_array()) {
    return TypeError("prompt", "a string, a list of strings or a list of token ids", *value);
  }
  if (value->empty()) return absl::InvalidArgumentError("\"prompt\" is an empty list");
  const Json& first = value->front();
  if (first.is_number()) {  // one tokenized prompt
    ASSIGN_OR_RETURN(std::vector<int32_t> ids, TokenIds(*value, "prompt"));
    prompts.push_back({"", std::move(ids)});
    return prompts;
  }
  if (value->size() > static_cast<size_t>(max_prompts)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"prompt\" has ", value->size(), " prompts; at most ", max_prompts));
  }
  for (size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    const std::string where = absl::StrCat("prompt[", i, "]");
    if (first.is_string() && item.is_string()) {
      prompts.push_back({item.get<std::string>(), {}});
    } else if (first.is_array() && item.is_array()) {
      if (item.empty()) return absl::InvalidArgumentError(absl::StrCat(where, " is an empty list"));
      ASSIGN_OR_RETURN(std::vector<int32_t> ids, TokenIds(item, where));
      prompts.push_back({"", std::move(ids)});
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " is ", item.type_name(),
                       "; a list of prompts holds only strings or only lists of token ids"));
    }
  }
  return prompts;
}

absl::StatusOr<std::vector<std::string>> Stops(const Json& body) {
  std::vector<std::string> stops;
  const Json* value = Find(body, "stop");
  if (value == nullptr) return stops;
  if (value->is_string()) {
    stops.push_back(value->get<std::string>());
    return stops;
  }
  if (!value->is_array()) return TypeError("stop", "a string or a list of strings", *value);
  for (size_t i = 0; i < value->size(); ++i) {
    if (!(*value)[i].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"stop\"[", i, "] must be a string, got ", (*value)[i].type_name()));
    }
    stops.push_back((*value)[i].get<std::string>());
  }
  return stops;
}

// Refuses options the sampler does not implement when they ask for something other than the
// default, rather than silently sampling from a different distribution.
absl::Status Unsupported(const Json& body, int64_t n, std::string* param) {
  auto refuse = [&](const char* key, const std::string& why) {
    *param = key;
    return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" ", why));
  };
  auto truthy = [&](const char* key) {
    const Json* v = Find(body, key);
    return v != nullptr && !(v->is_boolean() && !v->get<bool>());
  };
  if (truthy("stream")) {
    return refuse("stream", "is not supported: send stream=false and read the whole answer");
  }
  if (truthy("echo")) return refuse("echo", "is not supported");
  if (truthy("use_beam_search")) return refuse("use_beam_search", "is not supported");
  if (const Json* v = Find(body, "suffix"); v != nullptr && !(v->is_string() && v->empty())) {
    return refuse("suffix", "is not supported");
  }
  if (const Json* v = Find(body, "best_of");
      v != nullptr && !(v->is_number_integer() && v->get<int64_t>() == n)) {
    return refuse("best_of", absl::StrCat("is ", v->dump(), "; only best_of = n is supported"));
  }
  for (const char* key : {"presence_penalty", "frequency_penalty"}) {
    if (const Json* v = Find(body, key);
        v != nullptr && !(v->is_number() && v->get<double>() == 0)) {
      return refuse(key, absl::StrCat("is ", v->dump(), "; penalties are not supported"));
    }
  }
  if (const Json* v = Find(body, "repetition_penalty");
      v != nullptr && !(v->is_number() && v->get<double>() == 1)) {
    return refuse("repetition_penalty",
                  absl::StrCat("is ", v->dump(), "; penalties are not supported"));
  }
  if (const Json* v = Find(body, "logit_bias"); v != nullptr && !(v->is_object() && v->empty())) {
    return refuse("logit_bias", "is not supported");
  }
  return absl::OkStatus();
}

struct Parsed {
  std::vector<Prompt> prompts;
  int32_t n = 1;
  std::string model;
  SamplingOptions sampling;
  bool tokens_as_ids = false;
};

// Parses a /v1/completions body; on error sets `param` to the field it is about.
absl::StatusOr<Parsed> ParseCompletion(const std::string& text, int32_t max_prompts,
                                       std::string* param) {
  absl::StatusOr<Json> parsed = ParseJson(text);
  if (!parsed.ok()) return parsed.status();
  const Json& body = *parsed;
  if (!body.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body must be a JSON object, got ", body.type_name()));
  }
  Parsed out;
  auto field = [&](const char* key, auto result) -> decltype(result) {
    if (!result.ok()) *param = key;
    return result;
  };
  if (const Json* model = Find(body, "model"); model != nullptr) {
    if (!model->is_string()) {
      *param = "model";
      return TypeError("model", "a string", *model);
    }
    out.model = model->get<std::string>();
  }
  ASSIGN_OR_RETURN(out.prompts, field("prompt", Prompts(body, max_prompts)));
  ASSIGN_OR_RETURN(int64_t n, field("n", IntField(body, "n", 1, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max())));
  out.n = static_cast<int32_t>(n);
  RETURN_IF_ERROR(Unsupported(body, n, param));
  SamplingOptions& s = out.sampling;
  ASSIGN_OR_RETURN(s.temperature, field("temperature", FloatField(body, "temperature", 1.0f)));
  ASSIGN_OR_RETURN(s.top_p, field("top_p", FloatField(body, "top_p", 1.0f)));
  ASSIGN_OR_RETURN(s.min_p, field("min_p", FloatField(body, "min_p", 0.0f)));
  ASSIGN_OR_RETURN(int64_t top_k, field("top_k", IntField(body, "top_k", 0, -1,
                                                          std::numeric_limits<int32_t>::max())));
  s.top_k = top_k < 0 ? 0 : static_cast<int32_t>(top_k);  // vLLM: -1 = off
  ASSIGN_OR_RETURN(int64_t max_tokens,
                   field("max_tokens", IntField(body, "max_tokens", s.max_tokens,
                                                std::numeric_limits<int32_t>::min(),
                                                std::numeric_limits<int32_t>::max())));
  s.max_tokens = static_cast<int32_t>(max_tokens);
  ASSIGN_OR_RETURN(s.stop, field("stop", Stops(body)));
  if (const Json* ids = Find(body, "stop_token_ids"); ids != nullptr) {
    if (!ids->is_array()) {
      *param = "stop_token_ids";
      return TypeError("stop_token_ids", "a list of token ids", *ids);
    }
    ASSIGN_OR_RETURN(s.stop_token_ids, field("stop_token_ids", TokenIds(*ids, "stop_token_ids")));
  }
  if (Find(body, "seed") != nullptr) {
    ASSIGN_OR_RETURN(int64_t seed, field("seed", IntField(body, "seed", 0, 0,
                                                          std::numeric_limits<int64_t>::max())));
    s.seed = static_cast<uint64_t>(seed);
  }
  if (const Json* logprobs = Find(body, "logprobs"); logprobs != nullptr) {
    if (logprobs->is_boolean()) {
      s.logprobs = logprobs->get<bool>();
    } else {
      ASSIGN_OR_RETURN(int64_t k, field("logprobs", IntField(body, "logprobs", 0, 0, 20)));
      (void)k;  // top alternatives are not computed; any k returns the sampled token's logprob
      s.logprobs = true;
    }
  }
  if (const Json* v = Find(body, "return_tokens_as_token_ids"); v != nullptr) {
    if (!v->is_boolean()) {
      *param = "return_tokens_as_token_ids";
      return TypeError("return_tokens_as_token_ids", "a boolean", *v);
    }
    out.tokens_as_ids = v->get<bool>();
  }
  return out;
}

const char* FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kAborted:
      return "abort";
  }
  return "stop";
}

Json FloatArray(const std::vector<float>& values) {
  Json out = Json::array();
  for (float v : values) {
    out.push_back(std::isfinite(v) ? Json(v) : Json(nullptr));  // -inf has no JSON spelling
  }
  return out;
}

}  // namespace

int OpenAiHttpStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

// One completion request in flight: its prompts' sampler requests and what they delivered.
struct OpenAiEndpoint::Call {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> ids ABSL_GUARDED_BY(mu);                       // sampler request per prompt
  std::vector<std::vector<SampleResult>> samples ABSL_GUARDED_BY(mu);  // per prompt
  size_t started ABSL_GUARDED_BY(mu) = 0;
  size_t done ABSL_GUARDED_BY(mu) = 0;
  absl::Status error ABSL_GUARDED_BY(mu);        // the first failure
  bool interrupted ABSL_GUARDED_BY(mu) = false;  // cancelled by Drain

  // Cancels every request not done yet. Callers hold no lock.
  void CancelAll(Sampler* sampler) {
    std::vector<uint64_t> to_cancel;
    {
      std::lock_guard<std::mutex> lock(mu);
      to_cancel = ids;
    }
    for (uint64_t id : to_cancel) sampler->Cancel(id);  // no-op for finished ones
  }
  // Blocks until every started request reported done.
  void WaitAllDone() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == started; });
  }
};

OpenAiEndpoint::OpenAiEndpoint(Sampler* sampler, MetricsRegistry* metrics, OpenAiOptions options)
    : sampler_(sampler),
      options_(std::move(options)),
      created_(absl::ToUnixSeconds(absl::Now())),
      id_prefix_(std::random_device()() * uint64_t{0x9E3779B97F4A7C15} ^ std::random_device()()),
      requests_(metrics->GetCounter("rlvr_sampler_requests_total",
                                    "Generate requests received, by API.", {{"api", "http"}})),
      errors_(metrics->GetCounter("rlvr_sampler_request_errors_total",
                                  "Generate requests refused or failed, by API.",
                                  {{"api", "http"}})),
      samples_(metrics->GetCounter("rlvr_sampler_samples_total", "Samples delivered, by API.",
                                   {{"api", "http"}})),
      completion_tokens_(metrics->GetCounter("rlvr_sampler_completion_tokens_total",
                                             "Tokens of the samples delivered, by API.",
                                             {{"api", "http"}})) {}

OpenAiEndpoint::~OpenAiEndpoint() { Drain(absl::Now()); }

void OpenAiEndpoint::AddRoutes(HttpServer* server) {
  server->Handle("POST", "/v1/completions",
                 [this](const HttpRequest& request) { return Completions(request); });
  server->Handle("GET", "/v1/models",
                 [this](const HttpRequest& request) { return Models(request); });
}

void OpenAiEndpoint::Untrack(const std::shared_ptr<Call>& call) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.erase(call);
  if (calls_.empty()) idle_.notify_all();
}

void OpenAiEndpoint::Drain(absl::Time deadline) {
  std::set<std::shared_ptr<Call>> remaining;
  {
    std::unique_lock<std::mutex> lock(mu_);
    draining_ = true;
    idle_.wait_until(lock, absl::ToChronoTime(deadline), [&] { return calls_.empty(); });
    remaining = calls_;
  }
  for (const auto& call : remaining) {
    {
      std::lock_guard<std::mutex> lock(call->mu);
      call->interrupted = true;
    }
    call->CancelAll(sampler_);
  }
  // Wait for the handlers to answer, so nothing touches the endpoint after this returns.
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [&] { return calls_.empty(); });
}

HttpResponse OpenAiEndpoint::Completions(const HttpRequest& http) {
  requests_.Increment();
  std::string param;
  absl::StatusOr<Parsed> parsed = ParseCompletion(http.body, options_.max_prompts, &param);
  if (!parsed.ok()) {
    errors_.Increment();
    return ErrorResponse(parsed.status(), param);
  }
  const size_t num_prompts = parsed->prompts.size();
  auto call = std::make_shared<Call>();
  uint64_t serial = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (draining_) {
      errors_.Increment();
      return ErrorResponse(absl::UnavailableError("the sampler is shutting down"));
    }
    serial = next_id_++;
    calls_.insert(call);
  }
  {
    std::lock_guard<std::mutex> lock(call->mu);
    call->samples.resize(num_prompts);
  }

  // Start every prompt; a refusal cancels the ones already started.
  absl::Status refused;
  std::string refused_param;
  for (size_t p = 0; p < num_prompts; ++p) {
    GenerationRequest request;
    request.prompt = std::move(parsed->prompts[p].text);
    request.prompt_token_ids = std::move(parsed->prompts[p].token_ids);
    request.n = parsed->n;
    request.sampling = parsed->sampling;
    request.model = parsed->model;
    {
      std::lock_guard<std::mutex> lock(call->mu);
      if (call->interrupted) {
        refused = absl::UnavailableError("the sampler is shutting down");
        break;
      }
      ++call->started;
    }
    absl::StatusOr<uint64_t> id = sampler_->Generate(
        std::move(request),
        [call, p](SampleResult sample) {
          std::lock_guard<std::mutex> lock(call->mu);
          call->samples[p].push_back(std::move(sample));
        },
        [call](absl::Status status) {
          std::lock_guard<std::mutex> lock(call->mu);
          if (!status.ok() && call->error.ok()) call->error = std::move(status);
          ++call->done;
          call->cv.notify_all();
        });
    if (!id.ok()) {
      {
        std::lock_guard<std::mutex> lock(call->mu);
        --call->started;
      }
      refused_param = ParamOf(id.status());
      refused = num_prompts == 1
                    ? id.status()
                    : absl::Status(id.status().code(),
                                   absl::StrCat("prompt ", p, ": ", id.status().message()));
      break;
    }
    bool interrupted = false;
    {
      std::lock_guard<std::mutex> lock(call->mu);
      call->ids.push_back(*id);
      interrupted = call->interrupted;  // Drain came while Generate ran: it missed this id
    }
    if (interrupted) sampler_->Cancel(*id);
  }

  // Wait for all of them, up to the timeout, or the first failure.
  bool timed_out = false;
  if (refused.ok()) {
    std::unique_lock<std::mutex> lock(call->mu);
    timed_out =
        !call->cv.wait_until(lock, absl::ToChronoTime(absl::Now() + options_.request_timeout),
                             [&] { return call->done == call->started || !call->error.ok(); });
  }
  bool all_ok = false;
  {
    std::lock_guard<std::mutex> lock(call->mu);
    all_ok = refused.ok() && !timed_out && call->error.ok() && call->done == call->started;
  }
  if (!all_ok) call->CancelAll(sampler_);
  call->WaitAllDone();
  Untrack(call);

  // Which error to report: a refusal, else the timeout, else shutdown, else the first failure
  // (the CANCELLED our own cancelling caused is not one).
  absl::Status error = refused;
  param = refused_param;
  {
    std::lock_guard<std::mutex> lock(call->mu);
    if (error.ok() && timed_out) {
      error = absl::DeadlineExceededError(absl::StrCat(
          "the completion did not finish within ", absl::FormatDuration(options_.request_timeout)));
    } else if (error.ok() && call->interrupted) {
      error = absl::UnavailableError("the sampler is shutting down; the completion was cancelled");
    } else if (error.ok()) {
      error = call->error;
      param = ParamOf(error);
    }
  }
  if (!error.ok()) {
    errors_.Increment();
    return ErrorResponse(error, param);
  }

  // Every prompt delivered n samples: build the answer.
  std::vector<std::vector<SampleResult>> samples;
  {
    std::lock_guard<std::mutex> lock(call->mu);
    samples = std::move(call->samples);
  }
  const bool logprobs = parsed->sampling.logprobs;
  Json choices = Json::array();
  uint64_t prompt_tokens = 0, completion_tokens = 0;
  for (size_t p = 0; p < samples.size(); ++p) {
    std::vector<SampleResult>& group = samples[p];
    std::sort(group.begin(), group.end(),
              [](const SampleResult& a, const SampleResult& b) { return a.index < b.index; });
    if (!group.empty()) prompt_tokens += group.front().prompt_tokens;
    for (const SampleResult& s : group) {
      samples_.Increment();
      completion_tokens_.Increment(static_cast<double>(s.token_ids.size()));
      completion_tokens += s.token_ids.size();
      Json choice = {{"index", p * static_cast<size_t>(parsed->n) + s.index},
                     {"text", s.text},
                     {"logprobs", nullptr},
                     {"finish_reason", FinishReasonName(s.finish_reason)},
                     {"token_ids", s.token_ids},
                     {"policy_version", s.policy_version}};
      if (logprobs) {
        Json tokens = Json::array();
        Json offsets = options_.token_text ? Json::array() : Json(nullptr);
        size_t offset = 0;
        for (int32_t id : s.token_ids) {
          std::string text;
          if (options_.token_text) {
            text = options_.token_text(id);
            offsets.push_back(offset);
            offset += text.size();
          }
          tokens.push_back(
              parsed->tokens_as_ids || !options_.token_text ? absl::StrCat("token_id:", id) : text);
        }
        choice["logprobs"] = {{"tokens", std::move(tokens)},
                              {"token_logprobs", FloatArray(s.logprobs)},
                              {"top_logprobs", nullptr},
                              {"text_offset", std::move(offsets)}};
        if (!s.sampling_logprobs.empty()) {
          choice["sampling_logprobs"] = FloatArray(s.sampling_logprobs);
        }
      }
      choices.push_back(std::move(choice));
    }
  }
  Json body = {{"id", absl::StrFormat("cmpl-%016x%08x", id_prefix_, serial)},
               {"object", "text_completion"},
               {"created", absl::ToUnixSeconds(absl::Now())},
               {"model", sampler_->Info().model},
               {"choices", std::move(choices)},
               {"usage",
                {{"prompt_tokens", prompt_tokens},
                 {"completion_tokens", completion_tokens},
                 {"total_tokens", prompt_tokens + completion_tokens}}}};
  return HttpResponse{200, "application/json", DumpJson(body)};
}

HttpResponse OpenAiEndpoint::Models(const HttpRequest& /*request*/) {
  const SamplerInfo info = sampler_->Info();
  Json model = {{"id", info.model},
                {"object", "model"},
                {"created", created_},
                {"owned_by", "rlvr"},
                {"root", info.model},
                {"max_model_len", info.context_length},
                {"policy_version", info.policy_version}};
  return HttpResponse{200, "application/json",
                      DumpJson(Json{{"object", "list"}, {"data", Json::array({model})}})};
}

}  // namespace rlvr::sampler
