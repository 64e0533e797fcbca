#include "verifiers/service/batch_job.h"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "verifiers/code/code_verifier.h"
#include "verifiers/service/json_format.h"
#include "verifiers/service/verify_client.h"

namespace rlvr {
namespace {

using Results = std::vector<absl::StatusOr<v1::VerifyResponse>>;
// Verifies a chunk; one result per request, in order. A non-OK return aborts the job.
using ChunkVerifier = std::function<absl::StatusOr<Results>(std::vector<v1::VerifyRequest>)>;

absl::Status Prefixed(int64_t line, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("line ", line, ": ", status.message()));
}

std::string IdOf(const nlohmann::json& line) {
  if (!line.is_object() || !line.contains("id")) return "";
  const nlohmann::json& id = line["id"];
  return id.is_string() ? id.get<std::string>() : id.dump();
}

absl::StatusOr<BatchSummary> RunBatch(JsonlReader* in, JsonlWriter* out,
                                      const BatchOptions& options, const ChunkVerifier& verify) {
  const absl::Time start = absl::Now();
  BatchSummary summary;
  auto record = [&](const nlohmann::json& result) {
    out->Write(result);
    if (result.contains("verdicts")) {
      for (const auto& v : result["verdicts"]) {
        ++summary.verdicts;
        ++summary.outcomes[v["outcome"].get<std::string>()];
      }
    } else {
      ++summary.verdicts;
      ++summary.outcomes[result["outcome"].get<std::string>()];
    }
  };
  for (bool more = true; more;) {
    // Slot per line: either an error already, or an index into `requests`.
    struct Slot {
      int64_t line = 0;
      std::string id;
      absl::Status error;
      size_t request = 0;
      v1::ProblemKind kind = v1::PROBLEM_KIND_UNSPECIFIED;  // code lines get the code fields
      uint32_t tests_total = 0;                             // code: the problem's tests
    };
    std::vector<Slot> slots;
    std::vector<v1::VerifyRequest> requests;
    JsonlLine line;
    while (slots.size() < options.chunk_lines && (more = in->Next(&line))) {
      ++summary.lines;
      Slot slot;
      slot.line = line.line_number;
      if (!line.value.ok()) {
        slot.error = line.value.status();  // already names the line
      } else {
        slot.id = IdOf(*line.value);
        if (line.value->is_object() && line.value->value("kind", nlohmann::json()) == "code") {
          slot.kind = v1::PROBLEM_KIND_CODE;
        }
        absl::StatusOr<v1::VerifyRequest> request = RequestFromJsonLine(*line.value);
        if (request.ok() && slot.kind == v1::PROBLEM_KIND_CODE) {
          slot.tests_total = static_cast<uint32_t>(code::NumCodeTests(request->problem().code()));
        }
        if (!request.ok()) {
          slot.error = Prefixed(line.line_number, request.status());
        } else {
          request->set_request_id(std::to_string(requests.size()));
          slot.request = requests.size();
          requests.push_back(std::move(*request));
        }
      }
      slots.push_back(std::move(slot));
    }
    if (slots.empty()) break;
    Results results;
    if (!requests.empty()) {
      absl::StatusOr<Results> verified = verify(std::move(requests));
      if (!verified.ok()) return verified.status();
      results = std::move(*verified);
    }
    for (const Slot& slot : slots) {
      if (!slot.error.ok()) {
        record(ErrorToJson(slot.id, slot.error, slot.kind, slot.tests_total));
        continue;
      }
      const absl::StatusOr<v1::VerifyResponse>& result = results[slot.request];
      if (!result.ok()) {
        record(ErrorToJson(slot.id, Prefixed(slot.line, result.status()), slot.kind, slot.tests_total));
      } else if (result->error_code() != 0) {
        record(ErrorToJson(slot.id,
                           Prefixed(slot.line, absl::Status(static_cast<absl::StatusCode>(result->error_code()),
                                                            result->error_message())),
                           slot.kind, slot.tests_total));
      } else if (result->verdicts_size() == 1) {
        record(VerdictToJson(slot.id, result->verdicts(0), slot.kind));
      } else {
        nlohmann::json group = {{"id", slot.id}, {"verdicts", nlohmann::json::array()}};
        for (const v1::Verdict& verdict : result->verdicts()) {
          nlohmann::json v = VerdictToJson(slot.id, verdict, slot.kind);
          v.erase("id");
          group["verdicts"].push_back(std::move(v));
        }
        record(group);
      }
    }
  }
  summary.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace

std::string BatchSummary::ToString() const {
  std::string out = absl::StrFormat("%d lines, %d verdicts in %.3f s (%.0f verifications/s):", lines,
                                    verdicts, seconds, seconds > 0 ? verdicts / seconds : 0.0);
  for (const auto& [outcome, count] : outcomes) absl::StrAppend(&out, " ", outcome, "=", count);
  return out;
}

absl::StatusOr<BatchSummary> RunBatchInProcess(JsonlReader* in, JsonlWriter* out,
                                               VerifierEngine* engine,
                                               const BatchOptions& options) {
  return RunBatch(in, out, options, [&](std::vector<v1::VerifyRequest> requests)
                                        -> absl::StatusOr<Results> {
    Results results(requests.size(), absl::UnknownError("not run"));
    std::mutex mu;
    std::condition_variable cv;
    size_t pending = 0;
    const absl::Time deadline = absl::Now() + options.timeout;
    for (size_t i = 0; i < requests.size(); ++i) {
      for (;;) {
        {
          std::lock_guard<std::mutex> lock(mu);
          ++pending;
        }
        absl::Status submitted = engine->Submit(
            requests[i], deadline, [&, i](absl::StatusOr<v1::VerifyResponse> result) {
              std::lock_guard<std::mutex> lock(mu);
              results[i] = std::move(result);
              --pending;
              cv.notify_all();
            });
        if (submitted.ok()) break;
        std::unique_lock<std::mutex> lock(mu);
        --pending;
        if (submitted.code() != absl::StatusCode::kResourceExhausted || pending == 0) {
          results[i] = submitted;
          break;
        }
        // Queue full: wait for one of ours to finish, then retry.
        const size_t before = pending;
        cv.wait(lock, [&] { return pending < before; });
      }
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
    return results;
  });
}

absl::StatusOr<BatchSummary> RunBatchRemote(JsonlReader* in, JsonlWriter* out,
                                            const std::string& target,
                                            const BatchOptions& options) {
  VerifierClient client(target);
  return RunBatch(in, out, options, [&](std::vector<v1::VerifyRequest> requests)
                                        -> absl::StatusOr<Results> {
    absl::StatusOr<std::vector<v1::VerifyResponse>> responses =
        client.VerifyMany(requests, options.timeout);
    if (!responses.ok()) {
      return absl::Status(responses.status().code(),
                          absl::StrCat("verifier at ", target, ": ", responses.status().message()));
    }
    Results results;
    results.reserve(responses->size());
    for (v1::VerifyResponse& response : *responses) results.emplace_back(std::move(response));
    return results;
  });
}

}  // namespace rlvr
