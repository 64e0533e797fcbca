#include "model/internal/byte_level.h"

#include <array>

#include "model/internal/split_pattern.h"

namespace rlvr::model::internal {
namespace {

bool StandsForItself(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<char32_t, 256> code_point;
  std::array<std::string, 256> utf8;
  // Inverse over U+0000..U+01FF (every alphabet character is below U+0144); -1 = not in it.
  std::array<int16_t, 512> byte_of;
};

const Tables& GetTables() {
  static const Tables* const tables = [] {
    auto* t = new Tables;
    t->byte_of.fill(-1);
    char32_t next_remapped = 0x100;
    for (int b = 0; b < 256; ++b) {
      const char32_t cp = StandsForItself(b) ? static_cast<char32_t>(b) : next_remapped++;
      t->code_point[b] = cp;
      t->utf8[b] = EncodeUtf8(cp);
      t->byte_of[cp] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return *tables;
}

}  // namespace

char32_t ByteLevelCodePoint(uint8_t b) { return GetTables().code_point[b]; }

std::string ToByteLevel(std::string_view bytes) {
  const Tables& t = GetTables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += t.utf8[static_cast<uint8_t>(c)];
  return out;
}

bool FromByteLevel(std::string_view text, std::string* bytes) {
  const Tables& t = GetTables();
  bytes->clear();
  bytes->reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = 0;
    const size_t len = DecodeUtf8(text, pos, &cp);
    if (len == 0 || cp >= t.byte_of.size() || t.byte_of[cp] < 0) return false;
    bytes->push_back(static_cast<char>(t.byte_of[cp]));
    pos += len;
  }
  return true;
}

}  // namespace rlvr::model::internal
