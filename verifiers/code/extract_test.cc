#include "verifiers/code/extract.h"

#include "gtest/gtest.h"

namespace rlvr::code {
namespace {

const std::vector<std::string> kPy = {"python", "py", "python3"};

TEST(ExtractTest, LastBlockOfTheLanguageWins) {
  std::string r = "draft:\n```python\nprint(1)\n```\nfinal:\n```python\nprint(2)\n```\n```text\nx\n```\n";
  EXPECT_EQ(ExtractCode(r, kPy, {}), "print(2)\n");
  ExtractOptions first;
  first.take_last = false;
  EXPECT_EQ(ExtractCode(r, kPy, first), "print(1)\n");
}

TEST(ExtractTest, UntaggedFallbackAndNoCode) {
  EXPECT_EQ(ExtractCode("```\nx = 1\n```", kPy, {}), "x = 1\n");
  ExtractOptions strict;
  strict.untagged_fallback = false;
  EXPECT_EQ(ExtractCode("```\nx = 1\n```", kPy, strict), std::nullopt);
  EXPECT_EQ(ExtractCode("no code here", kPy, {}), std::nullopt);
  EXPECT_EQ(ExtractCode("```cpp\nint main(){}\n```", kPy, {}), std::nullopt);
  EXPECT_EQ(ExtractCode("```python\n\n```", kPy, {}), std::nullopt);  // empty block
  ExtractOptions whole;
  whole.whole_response_fallback = true;
  EXPECT_EQ(ExtractCode("print(3)", kPy, whole), "print(3)");
}

TEST(ExtractTest, FenceDetails) {
  // Tildes, longer fences containing ```, info strings, CRLF, case, unclosed.
  EXPECT_EQ(ExtractCode("~~~Python title=x\na\n~~~", kPy, {}), "a\n");
  EXPECT_EQ(ExtractCode("````python\ns = '```'\n```\n````\n", kPy, {}), "s = '```'\n```\n");
  EXPECT_EQ(ExtractCode("```py\r\nb\r\n```\r\n", kPy, {}), "b\n");
  EXPECT_EQ(ExtractCode("```python\nunfinished(", kPy, {}), "unfinished(\n");
  ExtractOptions closed;
  closed.accept_unclosed = false;
  EXPECT_EQ(ExtractCode("```python\nunfinished(", kPy, closed), std::nullopt);
}

TEST(ExtractTest, FindsAllBlocks) {
  std::vector<FencedBlock> b = FindFencedBlocks("```cpp\nint x;\n```\ntext\n```\ny\n```");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].tag, "cpp");
  EXPECT_EQ(b[1].tag, "");
  EXPECT_EQ(b[1].body, "y\n");
}

}  // namespace
}  // namespace rlvr::code
