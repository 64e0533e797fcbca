#include "verifiers/service/verify_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <thread>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace rlvr {

VerifierClient::VerifierClient(const std::string& target, int max_message_bytes) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_message_bytes);
  args.SetMaxSendMessageSize(max_message_bytes);
  stub_ = v1::Verifier::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
}

VerifierClient::VerifierClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::Verifier::NewStub(std::move(channel))) {}

absl::StatusOr<v1::VerifyResponse> VerifierClient::Verify(const v1::VerifyRequest& request,
                                                          absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::VerifyResponse response;
  grpc::Status status = stub_->Verify(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<std::vector<v1::VerifyResponse>> VerifierClient::VerifyMany(
    const std::vector<v1::VerifyRequest>& requests, absl::Duration timeout) {
  std::unordered_map<std::string, size_t> index;
  index.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!index.emplace(requests[i].request_id(), i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("request_id \"", requests[i].request_id(), "\" is used twice"));
    }
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  auto stream = stub_->VerifyStream(&context);
  // The server reads only as fast as it verifies (flow control), so writes run on their own thread
  // while this one reads.
  std::thread writer([&] {
    for (const v1::VerifyRequest& request : requests) {
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  std::vector<v1::VerifyResponse> out(requests.size());
  std::vector<bool> seen(requests.size(), false);
  size_t received = 0;
  v1::VerifyResponse response;
  while (stream->Read(&response)) {
    auto it = index.find(response.request_id());
    if (it == index.end() || seen[it->second]) continue;  // not ours / duplicate: ignore
    seen[it->second] = true;
    out[it->second] = std::move(response);
    ++received;
  }
  writer.join();
  grpc::Status status = stream->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  if (received != requests.size()) {
    return absl::DataLossError(absl::StrCat("stream ended with ", received, " of ",
                                            requests.size(), " responses"));
  }
  return out;
}

}  // namespace rlvr
