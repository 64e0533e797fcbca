#include "cli/flags.h"

#include <vector>

#include "gtest/gtest.h"

namespace rlvr::cli {
namespace {

absl::StatusOr<Flags> ParseArgs(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return Flags::Parse(static_cast<int>(argv.size()), argv.data(), 0, {"port", "input"}, {"verbose"});
}

TEST(FlagsTest, ValuesSwitchesAndPositionals) {
  auto flags = ParseArgs({"--port", "80", "--input=a.jsonl", "--verbose", "file"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(*flags->GetInt("port", 1, 0, 65535), 80);
  EXPECT_EQ(flags->Get("input"), "a.jsonl");
  EXPECT_EQ(flags->Get("verbose"), "true");
  EXPECT_EQ(flags->positional(), std::vector<std::string>{"file"});
  EXPECT_EQ(*flags->GetInt("missing", 5, 0, 10), 5);
}

TEST(FlagsTest, ErrorsNameTheFlag) {
  EXPECT_EQ(ParseArgs({"--nope"}).status().message(), "unknown flag --nope");
  EXPECT_EQ(ParseArgs({"--port"}).status().message(), "--port needs a value");
  auto flags = ParseArgs({"--port", "99999"});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->GetInt("port", 1, 0, 65535).status().message(),
            "--port=99999 is not an integer in [0, 65535]");
  flags = ParseArgs({"--port", "12x"});
  EXPECT_FALSE(flags->GetInt("port", 1, 0, 65535).ok());
}

}  // namespace
}  // namespace rlvr::cli
