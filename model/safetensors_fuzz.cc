// libFuzzer target for the safetensors parser (files come from users and the network). The first
// byte picks a mode: odd, the rest is "<header>\0<data>" and a correct length prefix is added, so
// that mutations reach the JSON and range checks; even, the rest is the whole file. Invariants: no
// crash or sanitizer report; every error is INVALID_ARGUMENT; every tensor returned holds exactly
// numel() values, and all of them together fit in the data region.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string file;
  if (data[0] & 1) {
    const size_t cut = rest.find('\0');
    const std::string_view header = rest.substr(0, cut);
    const std::string_view body =
        cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
    for (int i = 0; i < 8; ++i)
      file.push_back(static_cast<char>((uint64_t{header.size()} >> (8 * i)) & 0xff));
    file.append(header);
    file.append(body);
  } else {
    file.assign(rest);
  }
  auto tensors = rlvr::model::ParseSafetensors(file, "fuzz");
  if (!tensors.ok()) {
    if (tensors.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  size_t values = 0;
  for (const auto& [name, t] : *tensors) {
    if (static_cast<int64_t>(t.data.size()) != t.numel()) std::abort();
    values += t.data.size();
  }
  if (values * 2 > file.size()) std::abort();  // every element takes at least 2 bytes
  return 0;
}
