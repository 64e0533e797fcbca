// JSON Lines input and output with per-line errors: one bad line never stops the others.
#ifndef RLVR_COMMON_JSONL_H_
#define RLVR_COMMON_JSONL_H_

#include <cstdint>
#include <cstdio>
#include <istream>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace rlvr {

// Parses one JSON text without exceptions. INVALID_ARGUMENT says where and why.
absl::StatusOr<nlohmann::json> ParseJson(std::string_view text);

// Serializes compactly; invalid UTF-8 in strings (common in model output) is replaced with U+FFFD
// instead of failing.
std::string DumpJson(const nlohmann::json& value);

// One line of a JSONL stream.
struct JsonlLine {
  int64_t line_number = 0;                   // 1-based
  absl::StatusOr<nlohmann::json> value;      // the object, or why the line is bad
};

// Reads JSON Lines from a stream. Blank lines are skipped. A line longer than `max_line_bytes` or not
// a JSON object yields an error for that line only. Not thread-safe.
class JsonlReader {
 public:
  explicit JsonlReader(std::istream* in, size_t max_line_bytes = 64u << 20);
  // Opens a file. NOT_FOUND names the path when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<JsonlReader>> Open(const std::string& path,
                                                           size_t max_line_bytes = 64u << 20);
  // Fills `line` with the next non-blank line; false at end of input.
  bool Next(JsonlLine* line);

 private:
  std::unique_ptr<std::istream> owned_;
  std::istream* in_;
  size_t max_line_bytes_;
  int64_t line_number_ = 0;
};

// Writes one compact JSON object per line and flushes per line. Thread-safe.
class JsonlWriter {
 public:
  explicit JsonlWriter(std::ostream* out) : out_(out) {}
  void Write(const nlohmann::json& value);

 private:
  std::mutex mu_;
  std::ostream* out_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rlvr

#endif  // RLVR_COMMON_JSONL_H_
