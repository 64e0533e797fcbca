// GPT-2's byte-level alphabet: each of the 256 byte values is written as one printable Unicode
// character, so that a BPE vocabulary over those characters covers every byte string. Printable
// Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the other 68 bytes map, in
// increasing byte order, to U+0100, U+0101, ... (space 0x20 becomes 'Ġ' U+0120, '\n' becomes 'Ċ').
#ifndef RLVR_MODEL_INTERNAL_BYTE_LEVEL_H_
#define RLVR_MODEL_INTERNAL_BYTE_LEVEL_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace rlvr::model::internal {

// The code point that stands for byte `b`.
char32_t ByteLevelCodePoint(uint8_t b);

// `bytes` written in the byte-level alphabet (UTF-8 text, 1 or 2 bytes per input byte).
std::string ToByteLevel(std::string_view bytes);

// The bytes that byte-level text `text` stands for. Returns false (leaving `bytes` unspecified)
// when `text` is not valid UTF-8 or holds a character outside the 256-character alphabet.
bool FromByteLevel(std::string_view text, std::string* bytes);

}  // namespace rlvr::model::internal

#endif  // RLVR_MODEL_INTERNAL_BYTE_LEVEL_H_
