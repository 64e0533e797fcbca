// absl::Status <-> grpc::Status. The codes map one to one.
#ifndef RLVR_COMMON_GRPC_STATUS_H_
#define RLVR_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace rlvr {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

inline absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace rlvr

#endif  // RLVR_COMMON_GRPC_STATUS_H_
