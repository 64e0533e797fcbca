// Status propagation macros (Abseil 20220623 has none public).
#ifndef RLVR_COMMON_STATUS_MACROS_H_
#define RLVR_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RLVR_STATUS_CONCAT_INNER_(a, b) a##b
#define RLVR_STATUS_CONCAT_(a, b) RLVR_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status rlvr_status_ = (expr);              \
    if (!rlvr_status_.ok()) return rlvr_status_;       \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, MakeX());` — binds the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  RLVR_ASSIGN_OR_RETURN_IMPL_(RLVR_STATUS_CONCAT_(rlvr_statusor_, __LINE__), lhs, expr)
#define RLVR_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#endif  // RLVR_COMMON_STATUS_MACROS_H_
