#include "common/jsonl.h"

#include <fstream>

#include "absl/strings/str_cat.h"

namespace rlvr {

absl::StatusOr<nlohmann::json> ParseJson(std::string_view text) {
  nlohmann::json value = nlohmann::json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    // Re-parse with exceptions only to get the position for the message; the text is known bad.
    try {
      nlohmann::json ignored = nlohmann::json::parse(text);
      (void)ignored;
    } catch (const nlohmann::json::parse_error& e) {
      return absl::InvalidArgumentError(absl::StrCat("invalid JSON at byte ", e.byte, ": ",
                                                     e.what()));
    }
    return absl::InvalidArgumentError("invalid JSON");
  }
  return value;
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

JsonlReader::JsonlReader(std::istream* in, size_t max_line_bytes)
    : in_(in), max_line_bytes_(max_line_bytes) {}

absl::StatusOr<std::unique_ptr<JsonlReader>> JsonlReader::Open(const std::string& path,
                                                               size_t max_line_bytes) {
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*file) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  auto reader = std::make_unique<JsonlReader>(file.get(), max_line_bytes);
  reader->owned_ = std::move(file);
  return reader;
}

bool JsonlReader::Next(JsonlLine* line) {
  std::string text;
  for (;;) {
    text.clear();
    bool too_long = false;
    // Read one line with a cap: characters past the cap are consumed and dropped.
    int c;
    bool any = false;
    std::streambuf* buf = in_->rdbuf();
    while ((c = buf->sbumpc()) != std::char_traits<char>::eof()) {
      any = true;
      if (c == '\n') break;
      if (text.size() < max_line_bytes_) {
        text.push_back(static_cast<char>(c));
      } else {
        too_long = true;
      }
    }
    if (!any) return false;
    ++line_number_;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (!too_long && text.find_first_not_of(" \t") == std::string::npos) continue;  // blank
    line->line_number = line_number_;
    if (too_long) {
      line->value = absl::InvalidArgumentError(absl::StrCat(
          "line ", line_number_, " is longer than the limit of ", max_line_bytes_, " bytes"));
      return true;
    }
    auto parsed = ParseJson(text);
    if (!parsed.ok()) {
      line->value = absl::InvalidArgumentError(
          absl::StrCat("line ", line_number_, ": ", parsed.status().message()));
    } else if (!parsed->is_object()) {
      line->value = absl::InvalidArgumentError(absl::StrCat(
          "line ", line_number_, ": expected a JSON object, got ", parsed->type_name()));
    } else {
      line->value = std::move(parsed);
    }
    return true;
  }
}

void JsonlWriter::Write(const nlohmann::json& value) {
  const std::string text = DumpJson(value);
  std::lock_guard<std::mutex> lock(mu_);
  *out_ << text << '\n';
  out_->flush();
}

}  // namespace rlvr
