#include "sampler/service/sampler_service.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "model/tensor.h"
#include "sampler/text.h"

namespace rlvr::sampler {
namespace {

// The largest tensor an update may declare, in elements (2^40): keeps numel * size from
// overflowing whatever the shape says.
constexpr int64_t kMaxTensorElements = int64_t{1} << 40;

std::string ShapeString(const google::protobuf::RepeatedField<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// The wire spelling of a dtype ("bf16"), for messages.
std::string DTypeText(model::DType dtype) {
  return absl::AsciiStrToLower(std::string(model::DTypeName(dtype)));
}

}  // namespace

GenerationRequest FromProto(const v1::GenerateRequest& request) {
  GenerationRequest out;
  out.prompt = request.prompt();
  out.prompt_token_ids.assign(request.prompt_token_ids().begin(), request.prompt_token_ids().end());
  out.n = static_cast<int32_t>(
      std::min<uint32_t>(request.n(), static_cast<uint32_t>(std::numeric_limits<int32_t>::max())));
  out.model = request.model();
  const v1::SamplingParams& params = request.sampling();
  SamplingOptions& sampling = out.sampling;
  sampling.temperature = params.temperature();
  sampling.top_p = params.top_p() == 0.0f ? 1.0f : params.top_p();
  sampling.top_k = params.top_k();
  sampling.min_p = params.min_p();
  if (params.max_tokens() != 0) sampling.max_tokens = params.max_tokens();
  sampling.stop.assign(params.stop().begin(), params.stop().end());
  sampling.stop_token_ids.assign(params.stop_token_ids().begin(), params.stop_token_ids().end());
  if (params.has_seed()) sampling.seed = params.seed();
  sampling.logprobs = params.logprobs();
  return out;
}

v1::FinishReason ToProto(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return v1::FINISH_REASON_STOP;
    case FinishReason::kLength:
      return v1::FINISH_REASON_LENGTH;
    case FinishReason::kAborted:
      return v1::FINISH_REASON_ABORTED;
  }
  return v1::FINISH_REASON_UNSPECIFIED;
}

v1::Sample ToProto(const SampleResult& sample) {
  v1::Sample out;
  out.set_text(ValidUtf8(sample.text));  // proto3 strings must be UTF-8; token_ids are exact
  out.mutable_token_ids()->Assign(sample.token_ids.begin(), sample.token_ids.end());
  out.mutable_logprobs()->Assign(sample.logprobs.begin(), sample.logprobs.end());
  out.mutable_sampling_logprobs()->Assign(sample.sampling_logprobs.begin(),
                                          sample.sampling_logprobs.end());
  out.set_finish_reason(ToProto(sample.finish_reason));
  out.set_policy_version(sample.policy_version);
  out.set_index(sample.index);
  return out;
}

v1::GetInfoResponse ToProto(const SamplerInfo& info) {
  v1::GetInfoResponse out;
  out.set_model(info.model);
  out.set_policy_version(info.policy_version);
  out.set_backend(info.backend);
  out.set_max_n(static_cast<uint32_t>(std::max(info.max_n, 0)));
  out.set_max_tokens(static_cast<uint32_t>(std::max(info.max_tokens, 0)));
  out.set_context_length(static_cast<uint32_t>(
      std::clamp<int64_t>(info.context_length, 0, std::numeric_limits<uint32_t>::max())));
  return out;
}

// One Generate call. Samples arrive on sampler threads, wait in `queue_` and are written one at a
// time; the call finishes once the sampler reported the request done and every queued sample is
// written. Nothing starts before Sampler::Generate has returned (callbacks may come before it
// does). Decisions are made under `mu_`; gRPC and sampler calls are made after releasing it, the
// one that may lead to OnDone (Finish, or Cancel, whose on_done may run at once) last.
class SamplerService::GenerateReactor final
    : public grpc::ServerWriteReactor<v1::GenerateResponse> {
 public:
  GenerateReactor(SamplerService* service, std::string request_id)
      : service_(service), request_id_(std::move(request_id)) {}

  void Start(GenerationRequest request) {
    absl::StatusOr<uint64_t> id = service_->sampler_->Generate(
        std::move(request), [this](SampleResult sample) { OnSample(std::move(sample)); },
        [this](absl::Status status) { OnFinished(std::move(status)); });
    if (!id.ok()) service_->generate_errors_.Increment();
    Actions actions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      started_ = true;
      if (id.ok()) {
        id_ = *id;
      } else {
        done_ = true;  // the sampler calls nothing for a request it refused
        done_status_ = id.status();
      }
      actions = DecideLocked();
    }
    Act(actions);
  }

  void OnWriteDone(bool ok) override {
    Actions actions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.pop_front();
      writing_ = false;
      if (!ok) cancelled_ = true;  // the stream is broken: stop generating for it
      actions = DecideLocked();
    }
    Act(actions);
  }

  void OnCancel() override {
    service_->cancelled_.Increment();
    Actions actions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled_ = true;
      actions = DecideLocked();
    }
    Act(actions);
  }

  void OnDone() override { delete this; }

 private:
  struct Actions {
    const v1::GenerateResponse* write = nullptr;
    bool finish = false;
    grpc::Status status;
    bool cancel = false;
    uint64_t id = 0;
  };

  void OnSample(SampleResult sample) {
    service_->samples_.Increment();
    service_->completion_tokens_.Increment(static_cast<double>(sample.token_ids.size()));
    v1::GenerateResponse response;
    response.set_request_id(request_id_);
    response.set_prompt_tokens(sample.prompt_tokens);
    *response.mutable_sample() = ToProto(sample);
    Actions actions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!cancelled_) queue_.push_back(std::move(response));
      actions = DecideLocked();
    }
    Act(actions);
  }

  void OnFinished(absl::Status status) {
    if (!status.ok() && status.code() != absl::StatusCode::kCancelled) {
      service_->generate_errors_.Increment();
    }
    Actions actions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      done_status_ = std::move(status);
      actions = DecideLocked();
    }
    Act(actions);
  }

  // What to start next, given the state. Marks what it starts as started.
  Actions DecideLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Actions actions;
    if (!started_) return actions;
    if (cancelled_) {
      const size_t keep = writing_ ? 1 : 0;  // the front is being written
      while (queue_.size() > keep) queue_.pop_back();
      if (!done_ && !cancel_sent_) {
        cancel_sent_ = true;
        actions.cancel = true;
        actions.id = id_;
      }
    } else if (!writing_ && !queue_.empty()) {
      writing_ = true;
      actions.write = &queue_.front();
    }
    if (done_ && !writing_ && queue_.empty() && !finished_) {
      finished_ = true;
      actions.finish = true;
      actions.status = cancelled_ ? grpc::Status::CANCELLED : ToGrpcStatus(done_status_);
    }
    return actions;
  }

  void Act(const Actions& actions) {
    if (actions.write != nullptr) StartWrite(actions.write);
    if (actions.finish) {
      Finish(actions.status);
      return;  // `this` may be gone
    }
    // Last: the sampler's on_done may run (and finish the call) inside Cancel.
    if (actions.cancel) service_->sampler_->Cancel(actions.id);
  }

  SamplerService* const service_;
  const std::string request_id_;
  std::mutex mu_;
  std::deque<v1::GenerateResponse> queue_ ABSL_GUARDED_BY(mu_);  // front is being written
  uint64_t id_ ABSL_GUARDED_BY(mu_) = 0;
  bool started_ ABSL_GUARDED_BY(mu_) = false;  // Sampler::Generate returned
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;    // client gone: write nothing more
  bool cancel_sent_ ABSL_GUARDED_BY(mu_) = false;  // Sampler::Cancel called
  bool done_ ABSL_GUARDED_BY(mu_) = false;         // on_done received (no more callbacks)
  absl::Status done_status_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// One UpdateWeights call: reads chunks one at a time, decoding each into its tensor as it comes
// (so memory is the f32 tensors, reserved against `max_update_bytes` when a tensor starts), and
// refuses the stream at the first chunk that breaks the contract. After the `last` chunk and the
// client's half-close the whole update goes to the pool, whose task calls Finish. Only one
// reaction runs at a time until then, so the assembly state needs no lock.
class SamplerService::UpdateReactor final : public grpc::ServerReadReactor<v1::WeightChunk> {
 public:
  UpdateReactor(SamplerService* service, grpc::CallbackServerContext* context,
                v1::UpdateWeightsResponse* response)
      : service_(service), context_(context), response_(response) {
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // half-close, or the call was cancelled
      if (saw_last_) {
        Submit();
      } else if (chunks_ == 0) {
        Fail(absl::InvalidArgumentError("the update has no chunks"));
      } else {
        Fail(absl::InvalidArgumentError(absl::StrCat(
            "the update ended after ", chunks_, " chunks without one with last=true",
            current_name_.empty() ? ""
                                  : absl::StrCat(" (tensor ", current_name_, " has ", received_,
                                                 " of ", expected_, " bytes)"))));
      }
      return;
    }
    if (saw_last_) {
      Fail(absl::InvalidArgumentError(absl::StrCat(
          "chunk ", chunks_ + 1, " follows the chunk with last=true; the update had ended")));
      return;
    }
    absl::Status accepted = Accept(chunk_);
    if (!accepted.ok()) {
      Fail(accepted);
      return;
    }
    StartRead(&chunk_);
  }

  void OnDone() override {
    service_->update_bytes_.fetch_sub(reserved_);
    delete this;
  }

 private:
  absl::Status Accept(const v1::WeightChunk& chunk) {
    ++chunks_;
    if (chunks_ == 1) {
      update_.version = chunk.version();
      const uint64_t serving = service_->sampler_->Info().policy_version;
      if (update_.version <= serving) {
        return absl::InvalidArgumentError(absl::StrCat(
            "version ", update_.version, " is not above the serving version ", serving));
      }
    } else if (chunk.version() != update_.version) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chunk ", chunks_, " (tensor ", Named(chunk), ") has version ", chunk.version(),
          "; the update's first chunk has version ", update_.version));
    }

    if (chunk.tensor_name().empty()) {
      if (!chunk.data().empty() || chunk.shape_size() > 0 || !chunk.dtype().empty() ||
          chunk.offset() != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "chunk ", chunks_, " has data, shape, dtype or offset but no tensor_name"));
      }
      if (!chunk.last()) {
        return absl::InvalidArgumentError(
            absl::StrCat("chunk ", chunks_,
                         " has no tensor_name and is not the last; only the final marker "
                         "may be empty"));
      }
      RETURN_IF_ERROR(CloseTensor(absl::StrCat("the update ends at chunk ", chunks_)));
      saw_last_ = true;
      return absl::OkStatus();
    }

    if (chunk.tensor_name() != current_name_) {
      RETURN_IF_ERROR(
          CloseTensor(absl::StrCat("chunk ", chunks_, " starts tensor ", chunk.tensor_name())));
      RETURN_IF_ERROR(BeginTensor(chunk));
    } else {
      if (chunk.shape_size() > 0 && !std::equal(chunk.shape().begin(), chunk.shape().end(),
                                                tensor_.shape.begin(), tensor_.shape.end())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "chunk ", chunks_, " of tensor ", current_name_, " has shape ",
            ShapeString(chunk.shape()), "; its first chunk had ", tensor_.ShapeString()));
      }
      if (!chunk.dtype().empty()) {
        absl::StatusOr<model::DType> dtype = model::ParseDType(chunk.dtype());
        if (!dtype.ok() || *dtype != dtype_) {
          return absl::InvalidArgumentError(
              absl::StrCat("chunk ", chunks_, " of tensor ", current_name_, " has dtype \"",
                           chunk.dtype(), "\"; its first chunk had ", DTypeText(dtype_)));
        }
      }
      if (chunk.offset() != received_) {
        return absl::InvalidArgumentError(absl::StrCat(
            "chunk ", chunks_, " of tensor ", current_name_, " has offset ", chunk.offset(),
            "; expected ", received_, " (a tensor's chunks are contiguous and in order)"));
      }
    }
    if (chunk.data().size() > expected_ - received_) {
      return absl::InvalidArgumentError(
          absl::StrCat("chunk ", chunks_, " of tensor ", current_name_, " ends at byte ",
                       received_ + chunk.data().size(), ", past the tensor's ", expected_,
                       " bytes (shape ", tensor_.ShapeString(), ", ", DTypeText(dtype_), ")"));
    }
    RETURN_IF_ERROR(Decode(chunk.data()));
    if (chunk.last()) {
      RETURN_IF_ERROR(CloseTensor(absl::StrCat("the update ends at chunk ", chunks_)));
      saw_last_ = true;
    }
    return absl::OkStatus();
  }

  // The first chunk of a tensor: shape, dtype, offset 0, a name not seen yet, and room in the
  // byte budget.
  absl::Status BeginTensor(const v1::WeightChunk& chunk) {
    const std::string& name = chunk.tensor_name();
    if (update_.tensors.count(name) > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor ", name, " appears again at chunk ", chunks_,
                       " after other tensors; a tensor's chunks must be consecutive"));
    }
    if (chunk.shape_size() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("chunk ", chunks_, " starts tensor ", name, " but has no shape"));
    }
    int64_t numel = 1;
    for (int64_t dim : chunk.shape()) {
      if (dim < 1 || dim > kMaxTensorElements || numel > kMaxTensorElements / dim) {
        return absl::InvalidArgumentError(absl::StrCat("tensor ", name, " has shape ",
                                                       ShapeString(chunk.shape()),
                                                       "; dimensions must be >= 1 and the size "
                                                       "at most 2^40 elements"));
      }
      numel *= dim;
    }
    absl::StatusOr<model::DType> dtype = model::ParseDType(chunk.dtype());
    if (!dtype.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor ", name, " has dtype \"", chunk.dtype(), "\"; expected f32, bf16 or f16"));
    }
    if (chunk.offset() != 0) {
      return absl::InvalidArgumentError(absl::StrCat("tensor ", name, " starts at offset ",
                                                     chunk.offset(),
                                                     "; its first chunk must have offset 0"));
    }
    const int64_t bytes = numel * static_cast<int64_t>(sizeof(float));
    const int64_t before = service_->update_bytes_.fetch_add(bytes);
    reserved_ += bytes;
    if (before + bytes > service_->options_.max_update_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("tensor ", name, " of shape ", ShapeString(chunk.shape()), " needs ", bytes,
                       " bytes as f32; weight updates being received may hold at most ",
                       service_->options_.max_update_bytes, " bytes (", before, " held)"));
    }
    current_name_ = name;
    dtype_ = *dtype;
    element_size_ = model::DTypeSize(dtype_);
    expected_ = static_cast<uint64_t>(numel) * element_size_;
    received_ = 0;
    decoded_ = 0;
    carry_.clear();
    tensor_ = model::Tensor();
    tensor_.shape.assign(chunk.shape().begin(), chunk.shape().end());
    tensor_.data.resize(static_cast<size_t>(numel));
    return absl::OkStatus();
  }

  // Decodes `bytes` (the next bytes of the current tensor) into its elements; an element split
  // across chunks waits in `carry_`.
  absl::Status Decode(std::string_view bytes) {
    received_ += bytes.size();
    if (!carry_.empty()) {
      const size_t take = std::min(element_size_ - carry_.size(), bytes.size());
      carry_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (carry_.size() < element_size_) return absl::OkStatus();
      RETURN_IF_ERROR(DecodeWhole(carry_));
      carry_.clear();
    }
    const size_t whole = bytes.size() / element_size_ * element_size_;
    RETURN_IF_ERROR(DecodeWhole(bytes.substr(0, whole)));
    carry_.assign(bytes.substr(whole));
    return absl::OkStatus();
  }

  absl::Status DecodeWhole(std::string_view bytes) {
    if (bytes.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(model::DecodeElements(dtype_, bytes, &scratch_));
    std::copy(scratch_.begin(), scratch_.end(), tensor_.data.begin() + decoded_);
    decoded_ += scratch_.size();
    return absl::OkStatus();
  }

  // Ends the current tensor (if any), which must be complete; `where` says why it ends.
  absl::Status CloseTensor(const std::string& where) {
    if (current_name_.empty()) return absl::OkStatus();
    if (received_ != expected_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor ", current_name_, " is truncated: ", where, " after ", received_, " of its ",
          expected_, " bytes (shape ", tensor_.ShapeString(), ", ", DTypeText(dtype_), ")"));
    }
    update_.tensors.emplace(std::move(current_name_), std::move(tensor_));
    current_name_.clear();
    tensor_ = model::Tensor();
    return absl::OkStatus();
  }

  // A tensor's name for a message about `chunk`.
  static std::string Named(const v1::WeightChunk& chunk) {
    return chunk.tensor_name().empty() ? "none" : chunk.tensor_name();
  }

  void Submit() {
    absl::Status queued = service_->update_pool_->TrySubmit([this] {
      if (context_->IsCancelled()) {
        Fail(absl::CancelledError("the update was cancelled before the sampler loaded it"));
        return;
      }
      const uint64_t version = update_.version;
      absl::Status status = service_->sampler_->UpdateWeights(std::move(update_));
      if (status.ok()) {
        service_->updates_.Increment();
        response_->set_version(version);
        Finish(grpc::Status::OK);
      } else {
        Fail(status);
      }
    });
    if (!queued.ok()) {
      Fail(absl::Status(queued.code(),
                        absl::StrCat("cannot take the update now: ", queued.message())));
    }
  }

  void Fail(const absl::Status& status) {
    service_->update_errors_.Increment();
    Finish(ToGrpcStatus(status));
  }

  SamplerService* const service_;
  grpc::CallbackServerContext* const context_;
  v1::UpdateWeightsResponse* const response_;
  v1::WeightChunk chunk_;  // read buffer; one read at a time
  int64_t chunks_ = 0;     // chunks read
  bool saw_last_ = false;
  WeightUpdate update_;   // finished tensors
  int64_t reserved_ = 0;  // bytes reserved in the service's update budget
  // The tensor being received.
  std::string current_name_;
  model::Tensor tensor_;
  model::DType dtype_ = model::DType::kF32;
  size_t element_size_ = 4;
  uint64_t expected_ = 0;  // bytes
  uint64_t received_ = 0;  // bytes
  size_t decoded_ = 0;     // elements
  std::string carry_;      // bytes of an element split across chunks
  std::vector<float> scratch_;
};

SamplerService::SamplerService(Sampler* sampler, MetricsRegistry* metrics,
                               const SamplerServiceOptions& options)
    : sampler_(sampler),
      options_(options),
      generate_requests_(metrics->GetCounter(
          "rlvr_sampler_requests_total", "Generate requests received, by API.", {{"api", "grpc"}})),
      generate_errors_(metrics->GetCounter("rlvr_sampler_request_errors_total",
                                           "Generate requests refused or failed, by API.",
                                           {{"api", "grpc"}})),
      samples_(metrics->GetCounter("rlvr_sampler_samples_total", "Samples delivered, by API.",
                                   {{"api", "grpc"}})),
      completion_tokens_(metrics->GetCounter("rlvr_sampler_completion_tokens_total",
                                             "Tokens of the samples delivered, by API.",
                                             {{"api", "grpc"}})),
      cancelled_(metrics->GetCounter("rlvr_sampler_cancelled_total",
                                     "Generate calls cancelled by the client, by API.",
                                     {{"api", "grpc"}})),
      updates_(
          metrics->GetCounter("rlvr_sampler_weight_updates_total", "Weight updates installed.")),
      update_errors_(metrics->GetCounter("rlvr_sampler_weight_update_errors_total",
                                         "Weight updates refused or failed.")),
      update_pool_(std::make_unique<ThreadPool>(1, options.max_pending_updates)) {}

SamplerService::~SamplerService() = default;

grpc::ServerWriteReactor<v1::GenerateResponse>* SamplerService::Generate(
    grpc::CallbackServerContext* /*context*/, const v1::GenerateRequest* request) {
  generate_requests_.Increment();
  auto* reactor = new GenerateReactor(this, request->request_id());
  reactor->Start(FromProto(*request));
  return reactor;
}

grpc::ServerReadReactor<v1::WeightChunk>* SamplerService::UpdateWeights(
    grpc::CallbackServerContext* context, v1::UpdateWeightsResponse* response) {
  return new UpdateReactor(this, context, response);
}

grpc::ServerUnaryReactor* SamplerService::GetInfo(grpc::CallbackServerContext* context,
                                                  const v1::GetInfoRequest* /*request*/,
                                                  v1::GetInfoResponse* response) {
  *response = ToProto(sampler_->Info());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace rlvr::sampler
