#include "sampler/text.h"

#include "gtest/gtest.h"

namespace rlvr::sampler {
namespace {

TEST(ValidUtf8Test, KeepsValidTextAndReplacesEachBadByte) {
  EXPECT_EQ(ValidUtf8(""), "");
  EXPECT_EQ(ValidUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(ValidUtf8("π ≈ 3.14 😀 中文"), "π ≈ 3.14 😀 中文");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(ValidUtf8("a\xC4"), "a" + fffd);                  // truncated 2-byte sequence
  EXPECT_EQ(ValidUtf8("\xE2\x89"), fffd + fffd);              // truncated 3-byte sequence
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), fffd + fffd);              // overlong '/'
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), fffd + fffd + fffd);   // surrogate U+D800
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  EXPECT_EQ(ValidUtf8("x\x96\xA2y"), "x" + fffd + fffd + "y");  // stray continuation bytes
}

}  // namespace
}  // namespace rlvr::sampler
