#include "verifiers/service/verifier_service.h"

#include <deque>
#include <mutex>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "common/grpc_status.h"

namespace rlvr {

// One VerifyStream call. Each request read is submitted to the engine; its response is written when
// it finishes (in finishing order). At most `max_stream_in_flight` requests are submitted or waiting
// to be written; past that the reactor stops reading (flow control). Decisions are made under `mu_`;
// gRPC Start*/Finish calls are made after releasing it. Deletes itself in OnDone, which can only
// come after Finish, which waits for every engine callback.
class VerifierService::StreamReactor final
    : public grpc::ServerBidiReactor<v1::VerifyRequest, v1::VerifyResponse> {
 public:
  StreamReactor(VerifierService* service, grpc::CallbackServerContext* context)
      : service_(service), deadline_(service->DeadlineOf(context)) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Actions actions;
      {
        std::lock_guard<std::mutex> lock(mu_);
        reads_done_ = true;
        actions = DecideLocked();
      }
      Act(actions);
      return;
    }
    service_->stream_requests_.Increment();
    v1::VerifyRequest request = std::move(request_);
    const std::string request_id = request.request_id();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++in_flight_;
    }
    absl::Status submitted = service_->engine_->Submit(
        std::move(request), deadline_, [this, request_id](absl::StatusOr<v1::VerifyResponse> result) {
          Deliver(request_id, std::move(result));
        });
    if (!submitted.ok()) {
      if (submitted.code() == absl::StatusCode::kResourceExhausted) service_->rejected_.Increment();
      Deliver(request_id, submitted);
    }
    Actions actions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (in_flight_ < service_->options_.max_stream_in_flight && !cancelled_) {
        actions.read = true;
      } else {
        read_paused_ = true;
        if (cancelled_) reads_done_ = true;
        actions = DecideLocked();
      }
    }
    Act(actions);
  }

  void OnWriteDone(bool ok) override {
    Actions actions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      writes_.pop_front();
      --in_flight_;
      writing_ = false;
      if (!ok) cancelled_ = true;
      actions = DecideLocked();
    }
    Act(actions);
  }

  void OnCancel() override {
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
    bool read = false;
    const v1::VerifyResponse* write = nullptr;
    bool finish = false;
  };

  void Deliver(const std::string& request_id, absl::StatusOr<v1::VerifyResponse> result) {
    v1::VerifyResponse response;
    if (result.ok()) {
      response = std::move(*result);
    } else {
      response.set_request_id(request_id);
      response.set_error_code(static_cast<int>(result.status().code()));
      response.set_error_message(std::string(result.status().message()));
    }
    Actions actions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_) {
        --in_flight_;  // nobody to write to
      } else {
        writes_.push_back(std::move(response));
      }
      actions = DecideLocked();
    }
    Act(actions);
  }

  // What to start next, given the state. Marks what it starts as started.
  Actions DecideLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Actions actions;
    if (cancelled_) {
      while (!writing_ && !writes_.empty()) {  // drop unwritten responses
        writes_.pop_front();
        --in_flight_;
      }
      if (read_paused_) {
        read_paused_ = false;
        reads_done_ = true;
      }
    }
    if (!writing_ && !writes_.empty()) {
      writing_ = true;
      actions.write = &writes_.front();
    }
    if (read_paused_ && !reads_done_ && in_flight_ < service_->options_.max_stream_in_flight) {
      read_paused_ = false;
      actions.read = true;
    }
    if (reads_done_ && in_flight_ == 0 && !writing_ && !finished_) {
      finished_ = true;
      actions.finish = true;
    }
    return actions;
  }

  void Act(const Actions& actions) {
    if (actions.write != nullptr) StartWrite(actions.write);
    if (actions.read) StartRead(&request_);
    if (actions.finish) Finish(grpc::Status::OK);
  }

  VerifierService* const service_;
  const absl::Time deadline_;
  v1::VerifyRequest request_;  // read buffer; one read at a time
  std::mutex mu_;
  std::deque<v1::VerifyResponse> writes_ ABSL_GUARDED_BY(mu_);  // front is being written
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // submitted and not yet written
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

VerifierService::VerifierService(VerifierEngine* engine, MetricsRegistry* metrics,
                                 const VerifierServiceOptions& options)
    : engine_(engine),
      options_(options),
      unary_requests_(metrics->GetCounter("rlvr_verifier_requests_total",
                                          "Groups received, by method.", {{"method", "Verify"}})),
      stream_requests_(metrics->GetCounter("rlvr_verifier_requests_total",
                                           "Groups received, by method.",
                                           {{"method", "VerifyStream"}})),
      rejected_(metrics->GetCounter("rlvr_verifier_rejected_total",
                                    "Groups refused because the queue was full.")) {}

absl::Time VerifierService::DeadlineOf(const grpc::CallbackServerContext* context) const {
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::Now() + options_.default_deadline;
  }
  return absl::FromChrono(deadline);
}

grpc::ServerUnaryReactor* VerifierService::Verify(grpc::CallbackServerContext* context,
                                                  const v1::VerifyRequest* request,
                                                  v1::VerifyResponse* response) {
  unary_requests_.Increment();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status submitted = engine_->Submit(
      *request, DeadlineOf(context),
      [reactor, response](absl::StatusOr<v1::VerifyResponse> result) {
        if (result.ok()) *response = std::move(*result);
        reactor->Finish(ToGrpcStatus(result.status()));
      });
  if (!submitted.ok()) {
    if (submitted.code() == absl::StatusCode::kResourceExhausted) rejected_.Increment();
    reactor->Finish(ToGrpcStatus(submitted));
  }
  return reactor;
}

grpc::ServerBidiReactor<v1::VerifyRequest, v1::VerifyResponse>* VerifierService::VerifyStream(
    grpc::CallbackServerContext* context) {
  return new StreamReactor(this, context);
}

}  // namespace rlvr
