// Text helpers for generated output.
#ifndef RLVR_SAMPLER_TEXT_H_
#define RLVR_SAMPLER_TEXT_H_

#include <string>

namespace rlvr::sampler {

// `bytes` with each byte that does not start a valid UTF-8 sequence (overlong forms, surrogates
// and code points above U+10FFFF included) replaced by U+FFFD. A sample's token ids are exact;
// its text is this, because proto3 strings and JSON must be UTF-8.
std::string ValidUtf8(const std::string& bytes);

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_TEXT_H_
