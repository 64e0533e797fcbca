#include "common/jsonl.h"

#include <sstream>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

TEST(JsonlTest, ReadsObjectsAndReportsBadLinesByNumber) {
  std::istringstream in("{\"a\":1}\n\nnot json\n[1,2]\r\n{\"b\":\"x\"}\n{\"unterminated\": \n");
  JsonlReader reader(&in);
  JsonlLine line;
  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ(line.line_number, 1);
  ASSERT_TRUE(line.value.ok());
  EXPECT_EQ((*line.value)["a"], 1);

  ASSERT_TRUE(reader.Next(&line));  // blank line 2 skipped
  EXPECT_EQ(line.line_number, 3);
  EXPECT_EQ(line.value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(line.value.status().message().find("line 3"), std::string::npos);

  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ(line.line_number, 4);
  EXPECT_NE(line.value.status().message().find("expected a JSON object, got array"),
            std::string::npos)
      << line.value.status().message();

  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ(line.line_number, 5);
  EXPECT_EQ((*line.value)["b"], "x");

  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ(line.line_number, 6);
  EXPECT_FALSE(line.value.ok());
  EXPECT_FALSE(reader.Next(&line));
}

TEST(JsonlTest, OverlongLineIsAnErrorForThatLineOnly) {
  std::string big(100, 'x');
  std::istringstream in("{\"s\":\"" + big + "\"}\n{\"ok\":true}\n");
  JsonlReader reader(&in, /*max_line_bytes=*/50);
  JsonlLine line;
  ASSERT_TRUE(reader.Next(&line));
  EXPECT_NE(line.value.status().message().find("longer than the limit of 50 bytes"),
            std::string::npos);
  ASSERT_TRUE(reader.Next(&line));
  EXPECT_TRUE(line.value.ok());
  EXPECT_EQ(line.line_number, 2);
}

TEST(JsonlTest, LastLineWithoutNewline) {
  std::istringstream in("{\"a\":1}\n{\"a\":2}");
  JsonlReader reader(&in);
  JsonlLine line;
  ASSERT_TRUE(reader.Next(&line));
  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ((*line.value)["a"], 2);
  EXPECT_FALSE(reader.Next(&line));
}

TEST(JsonlTest, OpenMissingFileNamesThePath) {
  auto reader = JsonlReader::Open("/nonexistent/file.jsonl");
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(reader.status().message().find("/nonexistent/file.jsonl"), std::string::npos);
}

TEST(JsonlTest, WriterReplacesInvalidUtf8) {
  std::ostringstream out;
  JsonlWriter writer(&out);
  writer.Write({{"text", std::string("ok\xff\xfe")}});
  writer.Write({{"n", 2}});
  EXPECT_EQ(out.str(), "{\"text\":\"ok\xEF\xBF\xBD\xEF\xBF\xBD\"}\n{\"n\":2}\n");
}

TEST(JsonlTest, ParseJsonGivesPosition) {
  auto v = ParseJson("{\"a\": tru}");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("invalid JSON at byte"), std::string::npos);
}

}  // namespace
}  // namespace rlvr
