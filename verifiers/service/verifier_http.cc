#include "verifiers/service/verifier_http.h"

#include <future>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace rlvr {
namespace {

HttpResponse ErrorResponse(const absl::Status& status) {
  nlohmann::json body = {{"error", std::string(status.message())},
                         {"code", absl::StatusCodeToString(status.code())}};
  return HttpResponse{HttpStatusFor(status), "application/json",
                      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

// Submits to the engine (so HTTP shares the queue and its backpressure) and waits for the result.
absl::StatusOr<v1::VerifyResponse> SubmitAndWait(VerifierEngine* engine,
                                                 v1::VerifyRequest request, absl::Time deadline) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<v1::VerifyResponse>>>();
  std::future<absl::StatusOr<v1::VerifyResponse>> future = promise->get_future();
  absl::Status submitted = engine->Submit(
      std::move(request), deadline,
      [promise](absl::StatusOr<v1::VerifyResponse> result) { promise->set_value(std::move(result)); });
  if (!submitted.ok()) return submitted;
  return future.get();
}

}  // namespace

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

void AddVerifierHttpRoutes(HttpServer* server, VerifierEngine* engine, absl::Duration deadline) {
  server->Handle("POST", "/v1/verify", [engine, deadline](const HttpRequest& http) {
    v1::VerifyRequest request;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto parsed = google::protobuf::util::JsonStringToMessage(http.body, &request, options);
    if (!parsed.ok()) {
      return ErrorResponse(absl::InvalidArgumentError(
          absl::StrCat("body is not a VerifyRequest in JSON: ", parsed.message().as_string())));
    }
    absl::StatusOr<v1::VerifyResponse> result =
        SubmitAndWait(engine, std::move(request), absl::Now() + deadline);
    if (!result.ok()) return ErrorResponse(result.status());
    std::string body;
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    print.always_print_primitive_fields = true;
    auto printed = google::protobuf::util::MessageToJsonString(*result, &body, print);
    if (!printed.ok()) {
      return ErrorResponse(absl::InternalError(printed.message().as_string()));
    }
    return HttpResponse{200, "application/json", std::move(body)};
  });
}

}  // namespace rlvr
