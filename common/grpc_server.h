// Starting a gRPC server the way every rlvr service does: health checking and reflection on, no
// SO_REUSEPORT (a second server on a port in use must fail, not silently share it), message size
// limits both ways.
#ifndef RLVR_COMMON_GRPC_SERVER_H_
#define RLVR_COMMON_GRPC_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rlvr {

struct GrpcServerOptions {
  std::string host = "127.0.0.1";     // IPv6 literals are bracketed for the address
  int port = 0;                       // 0 = pick a free port
  int max_message_bytes = 64 << 20;
};

// Registers `services` (owned by the caller, outliving the server) and starts serving. Sets
// `*bound_port`. UNAVAILABLE naming the address when it cannot be bound.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(const GrpcServerOptions& options,
                                                              const std::vector<grpc::Service*>& services,
                                                              int* bound_port);

}  // namespace rlvr

#endif  // RLVR_COMMON_GRPC_SERVER_H_
