// libFuzzer target for the tokenizer: arbitrary bytes must encode and decode back exactly with the
// fixture tokenizer, and arbitrary tokenizer.json text must load or be refused, never crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "model/fixtures.h"
#include "model/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<rlvr::model::Tokenizer> tokenizer =
      std::move(*rlvr::model::Tokenizer::FromJson(rlvr::model::TestTokenizerJson()));
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    const std::string back = tokenizer->Decode(tokenizer->Encode(rest));
    if (back != rest) {
      fprintf(stderr, "round trip changed %zu bytes into %zu bytes\n", rest.size(), back.size());
      abort();
    }
  } else {
    auto loaded = rlvr::model::Tokenizer::FromJson(rest);
    if (loaded.ok()) (*loaded)->Decode((*loaded)->Encode("round trip 123 \xff"));
  }
  return 0;
}
