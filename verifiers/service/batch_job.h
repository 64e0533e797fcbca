// The `rlvr verify` job: JSONL in, one result per line out (input order), in-process or through a
// server. A malformed line gets an error result naming the line; the other lines still run.
#ifndef RLVR_VERIFIERS_SERVICE_BATCH_JOB_H_
#define RLVR_VERIFIERS_SERVICE_BATCH_JOB_H_

#include <cstdint>
#include <istream>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/jsonl.h"
#include "verifiers/service/verifier_engine.h"

namespace rlvr {

struct BatchSummary {
  int64_t lines = 0;                         // input lines (non-blank)
  int64_t verdicts = 0;                      // verdicts written
  std::map<std::string, int64_t> outcomes;   // verdicts by outcome name ("error" includes bad lines)
  double seconds = 0;                        // wall time of the whole job
  std::string ToString() const;              // one human-readable paragraph for stderr
};

struct BatchOptions {
  size_t chunk_lines = 4096;                 // lines read, verified and written per round
  absl::Duration timeout = absl::Minutes(5); // per chunk
};

// Verifies every line with `engine` (its pool runs the chunk in parallel).
absl::StatusOr<BatchSummary> RunBatchInProcess(JsonlReader* in, JsonlWriter* out,
                                               VerifierEngine* engine, const BatchOptions& options);

// Verifies every line through the server at `target` (one VerifyStream per chunk). UNAVAILABLE when
// the server cannot be reached; the lines written so far stay written.
absl::StatusOr<BatchSummary> RunBatchRemote(JsonlReader* in, JsonlWriter* out,
                                            const std::string& target, const BatchOptions& options);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_SERVICE_BATCH_JOB_H_
