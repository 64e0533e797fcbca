#include "model/safetensors.h"

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/internal/temp_dir.h"
#include "nlohmann/json.hpp"

namespace rlvr::model {
namespace {

using TensorMap = std::map<std::string, Tensor>;

using internal::TempDir;

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string U64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// A safetensors file from its header text and data bytes.
std::string RawFile(const std::string& header, const std::string& data) {
  return U64(header.size()) + header + data;
}

Tensor MakeTensor(std::vector<int64_t> shape, std::vector<float> data) {
  Tensor t;
  t.shape = std::move(shape);
  t.data = std::move(data);
  return t;
}

TensorMap SampleTensors() {
  TensorMap m;
  m["a.weight"] = MakeTensor({2, 3}, {0.0f, -1.5f, 0.1f, 3.0e4f, 1e-6f, -0.0f});
  m["b"] = MakeTensor({}, {7.25f});       // a scalar
  m["c.empty"] = MakeTensor({0, 4}, {});  // no elements
  m["d"] = MakeTensor({5}, {1, 2, 3, 4, 5});
  m["e.long.name.with.dots"] = MakeTensor({2, 2, 2}, {1, -1, 2, -2, 0.5f, -0.5f, 0.25f, 100});
  return m;
}

float Stored(DType dtype, float v) {
  if (dtype == DType::kF16) return HalfToFloat(FloatToHalf(v));
  if (dtype == DType::kBF16) return BFloat16ToFloat(FloatToBFloat16(v));
  return v;
}

void ExpectStored(const TensorMap& got, const TensorMap& want, DType dtype) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, t] : want) {
    ASSERT_TRUE(got.contains(name)) << name;
    const Tensor& g = got.at(name);
    EXPECT_EQ(g.shape, t.shape) << name;
    ASSERT_EQ(g.data.size(), t.data.size()) << name;
    for (size_t i = 0; i < t.data.size(); ++i) {
      EXPECT_EQ(g.data[i], Stored(dtype, t.data[i]))
          << name << "[" << i << "] " << DTypeName(dtype);
    }
  }
}

absl::Status ReadStatus(const std::string& path) { return ReadSafetensors(path).status(); }

TEST(SafetensorsTest, RoundTripsEveryDType) {
  TempDir tmp;
  const TensorMap tensors = SampleTensors();
  for (DType dtype : {DType::kF32, DType::kF16, DType::kBF16}) {
    const std::string path = tmp.File(absl::StrCat(std::string(DTypeName(dtype)), ".safetensors"));
    ASSERT_TRUE(WriteSafetensors(path, tensors, dtype).ok());
    absl::StatusOr<TensorMap> back = ReadSafetensors(path);
    ASSERT_TRUE(back.ok()) << back.status();
    ExpectStored(*back, tensors, dtype);
  }
}

TEST(SafetensorsTest, WrittenLayoutFollowsTheFormat) {
  TempDir tmp;
  const std::string path = tmp.File("m.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, SampleTensors(), DType::kBF16).ok());
  const std::string bytes = ReadBytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);  // data starts 8-byte aligned
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["__metadata__"]["format"], "pt");
  EXPECT_EQ(header["a.weight"]["dtype"], "BF16");
  EXPECT_EQ(header["a.weight"]["shape"], nlohmann::json({2, 3}));
  EXPECT_EQ(header["a.weight"]["data_offsets"], nlohmann::json({0, 12}));
  EXPECT_EQ(header["b"]["shape"], nlohmann::json::array());
  EXPECT_EQ(header["b"]["data_offsets"], nlohmann::json({12, 14}));
  EXPECT_EQ(header["c.empty"]["data_offsets"], nlohmann::json({14, 14}));
  EXPECT_EQ(bytes.size(), 8 + n + 2 * (6 + 1 + 0 + 5 + 8));
  // 1.0 in bf16 is 0x3f80, stored little-endian.
  const size_t d_begin = header["d"]["data_offsets"][0].get<size_t>();
  EXPECT_EQ(bytes.substr(8 + n + d_begin, 2), std::string("\x80\x3f", 2));
}

TEST(SafetensorsTest, ReadsAHandWrittenFile) {
  TempDir tmp;
  // Data out of name order, F16 and F32 mixed, metadata present.
  const std::string header =
      R"({"__metadata__": {"format": "pt", "note": "hand written"},
          "x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
          "y": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
          "z": {"dtype": "BF16", "shape": [1, 1], "data_offsets": [8, 10]}})";
  const std::string data = std::string("\x00\x3c\x00\xc0", 4) + std::string("\x00\x00\x40\x40", 4) +
                           std::string("\x80\xbf", 2);
  WriteBytes(tmp.File("h.safetensors"), RawFile(header, data));
  absl::StatusOr<TensorMap> t = ReadSafetensors(tmp.File("h.safetensors"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->at("y").data, (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(t->at("x").data, (std::vector<float>{3.0f}));
  EXPECT_EQ(t->at("z").data, (std::vector<float>{-1.0f}));
  EXPECT_EQ(t->at("z").shape, (std::vector<int64_t>{1, 1}));
  // An empty checkpoint is a valid file.
  WriteBytes(tmp.File("empty.safetensors"), RawFile("{}", ""));
  t = ReadSafetensors(tmp.File("empty.safetensors"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->empty());
}

struct Corrupt {
  std::string header;
  std::string data;
  std::string message;  // a substring of the error
};

TEST(SafetensorsTest, RejectsBadHeadersClearly) {
  const std::string four(4, '\0');
  const Corrupt cases[] = {
      {R"({"w": {"dtype": "I8", "shape": [4], "data_offsets": [0, 4]}})", four,
       "tensor \"w\" has dtype \"I8\"; supported: F32, F16, BF16"},
      {R"({"w": {"dtype": "F64", "shape": [], "data_offsets": [0, 8]}})", std::string(8, '\0'),
       "tensor \"w\" has dtype \"F64\""},
      {R"({"w": {"dtype": 16, "shape": [2], "data_offsets": [0, 4]}})", four,
       "tensor \"w\" has no string \"dtype\""},
      {R"({"w": {"shape": [2], "data_offsets": [0, 4]}})", four,
       "tensor \"w\" has no string \"dtype\""},
      {R"({"w": {"dtype": "F16", "shape": [-2], "data_offsets": [0, 4]}})", four,
       "sizes must be integers >= 0"},
      {R"({"w": {"dtype": "F16", "shape": [1.5], "data_offsets": [0, 4]}})", four,
       "sizes must be integers >= 0"},
      {R"({"w": {"dtype": "F16", "shape": "2", "data_offsets": [0, 4]}})", four,
       "tensor \"w\" has shape \"2\""},
      {R"({"w": {"dtype": "F16", "data_offsets": [0, 4]}})", four, "tensor \"w\" has shape (none)"},
      {R"({"w": {"dtype": "F16", "shape": [1,1,1,1,1,1,1,1,2], "data_offsets": [0, 4]}})", four,
       "at most 8 sizes"},
      {R"({"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 4]}})", std::string(6, '\0'),
       "data_offsets [0,4] (4 bytes) but shape [3] of F16 needs 6 bytes"},
      {R"({"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 4]}})", four,
       "tensor \"w\" has shape [3], more than the 4 data bytes can hold"},
      {R"({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 100]}})", four,
       "data_offsets [0,100] past the end of the 4-byte data region"},
      {R"({"w": {"dtype": "F16", "shape": [2], "data_offsets": [4, 0]}})", four,
       "0 <= begin <= end"},
      {R"({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0]}})", four, "data_offsets [0]"},
      {R"({"w": {"dtype": "F16", "shape": [2], "data_offsets": [-4, 0]}})", four,
       "0 <= begin <= end"},
      {R"({"w": {"dtype": "F16", "shape": [2]}})", four, "data_offsets (none)"},
      {R"({"w": {"dtype": "F16", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}})",
       four, "more than the 4 data bytes can hold"},
      {R"({"w": {"dtype": "F16", "shape": [0, 4611686018427387904, 4], "data_offsets": [0, 4]}})",
       four, "needs 0 bytes"},
      {R"({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
           "b": {"dtype": "F16", "shape": [2], "data_offsets": [2, 6]}})",
       std::string(6, '\0'), "tensor \"b\" bytes [2, 6) overlap tensor \"a\" bytes [0, 4)"},
      {R"({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
           "b": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})",
       four, "overlap"},
      {R"({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
           "b": {"dtype": "F16", "shape": [2], "data_offsets": [6, 10]}})",
       std::string(10, '\0'), "data bytes [4, 6) belong to no tensor"},
      {R"({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})", std::string(6, '\0'),
       "the data region is 6 bytes but the tensors cover 4"},
      {"{not json", four, "header is not JSON"},
      {"", four, "header is not JSON"},
      {"[1, 2]", four, "header is [1,2]; expected an object"},
      {R"({"__metadata__": "x"})", "", "__metadata__ is \"x\"; expected an object"},
      {R"({"w": 5})", four, "tensor \"w\" is 5; expected an object"},
      {std::string("{\"w\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 4]}}\0", 60),
       four, "header is not JSON"},
  };
  TempDir tmp;
  const std::string path = tmp.File("bad.safetensors");
  for (const Corrupt& c : cases) {
    WriteBytes(path, RawFile(c.header, c.data));
    const absl::Status s = ReadStatus(path);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.header;
    EXPECT_NE(s.message().find(c.message), absl::string_view::npos)
        << c.header << "\n  got: " << s.message() << "\n  want: " << c.message;
    EXPECT_NE(s.message().find(path), absl::string_view::npos) << s;  // names the file
  }
}

TEST(SafetensorsTest, EveryTruncationIsAnError) {
  TempDir tmp;
  const std::string good = tmp.File("good.safetensors");
  ASSERT_TRUE(WriteSafetensors(good, SampleTensors(), DType::kF16).ok());
  const std::string bytes = ReadBytes(good);
  for (size_t n = 0; n < bytes.size(); ++n) {
    const absl::Status s = ParseSafetensors(std::string_view(bytes).substr(0, n), "cut").status();
    ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "cut at " << n << ": " << s;
  }
  // The same through files, at a few points.
  const std::string path = tmp.File("cut.safetensors");
  for (size_t n : {size_t{0}, size_t{7}, size_t{8}, size_t{100}, bytes.size() - 1}) {
    WriteBytes(path, bytes.substr(0, n));
    const absl::Status s = ReadStatus(path);
    ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "cut at " << n << ": " << s;
    EXPECT_NE(s.message().find(path), absl::string_view::npos) << s;
  }
  WriteBytes(path, "");
  EXPECT_NE(ReadStatus(path).message().find("file is 0 bytes"), absl::string_view::npos);
  WriteBytes(path, bytes.substr(0, 20));
  EXPECT_NE(ReadStatus(path).message().find("exceeds the 12 bytes after it"),
            absl::string_view::npos)
      << ReadStatus(path);
  // Extra bytes at the end are as wrong as missing ones.
  WriteBytes(path, bytes + "x");
  EXPECT_NE(ReadStatus(path).message().find("but the tensors cover"), absl::string_view::npos);
}

TEST(SafetensorsTest, WrongHeaderLengthsAreErrors) {
  TempDir tmp;
  const std::string good = tmp.File("good.safetensors");
  ASSERT_TRUE(WriteSafetensors(good, SampleTensors(), DType::kF32).ok());
  const std::string bytes = ReadBytes(good);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  const std::string path = tmp.File("flip.safetensors");
  const uint64_t lengths[] = {0,
                              1,
                              2,
                              n - 1,
                              n + 1,
                              n + 8,
                              bytes.size() - 8,
                              bytes.size() - 7,
                              bytes.size(),
                              UINT64_MAX,
                              uint64_t{1} << 63,
                              uint64_t{1} << 32 | n,
                              200'000'000};
  for (uint64_t len : lengths) {
    WriteBytes(path, U64(len) + bytes.substr(8));
    const absl::Status s = ReadStatus(path);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << len << ": " << s;
  }
  WriteBytes(path, U64(UINT64_MAX) + bytes.substr(8));
  EXPECT_NE(ReadStatus(path).message().find("header length 18446744073709551615 exceeds"),
            absl::string_view::npos);
}

TEST(SafetensorsTest, RandomCorruptionNeverCrashes) {
  TempDir tmp;
  const std::string good = tmp.File("good.safetensors");
  ASSERT_TRUE(WriteSafetensors(good, SampleTensors(), DType::kBF16).ok());
  const std::string bytes = ReadBytes(good);
  std::mt19937 rng(123);
  int rejected = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string mutant = bytes;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      // Mostly in the header, where the parser is; sometimes any byte.
      const size_t limit = (rng() % 4 == 0) ? mutant.size() : std::min<size_t>(mutant.size(), 200);
      const size_t at = rng() % limit;
      switch (rng() % 3) {
        case 0:
          mutant[at] = static_cast<char>(rng());
          break;
        case 1:
          mutant[at] = "0123456789[]{},\":-. eE"[rng() % 22];
          break;
        case 2:
          mutant.erase(at, 1);
          break;
      }
    }
    absl::StatusOr<TensorMap> r = ParseSafetensors(mutant, "mutant");
    if (!r.ok()) {
      ++rejected;
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    }
  }
  EXPECT_GT(rejected, 3000);
}

TEST(SafetensorsTest, FileErrors) {
  TempDir tmp;
  absl::Status s = ReadStatus(tmp.File("missing.safetensors"));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("missing.safetensors"), absl::string_view::npos);
  s = ReadStatus(tmp.path());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;

  TensorMap bad;
  bad["w"] = MakeTensor({2, 2}, {1, 2, 3});
  s = WriteSafetensors(tmp.File("w.safetensors"), bad, DType::kF32);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("tensor \"w\" has shape [2, 2] but 3 values"), absl::string_view::npos)
      << s;
  bad.clear();
  bad["__metadata__"] = MakeTensor({1}, {1});
  EXPECT_EQ(WriteSafetensors(tmp.File("w.safetensors"), bad, DType::kF32).code(),
            absl::StatusCode::kInvalidArgument);
  s = WriteSafetensors(tmp.File("no/such/dir/w.safetensors"), SampleTensors(), DType::kF32);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no/such/dir"), absl::string_view::npos) << s;
}

TEST(CheckpointTest, ShardedRoundTrip) {
  const TensorMap tensors = SampleTensors();
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    for (int shards : {1, 2, 3, 5}) {
      TempDir tmp;
      ASSERT_TRUE(WriteCheckpointTensors(tmp.path(), tensors, dtype, shards).ok()) << shards;
      if (shards == 1) {
        EXPECT_TRUE(std::filesystem::exists(tmp.File("model.safetensors")));
        EXPECT_FALSE(std::filesystem::exists(tmp.File("model.safetensors.index.json")));
      } else {
        const nlohmann::json index =
            nlohmann::json::parse(ReadBytes(tmp.File("model.safetensors.index.json")));
        EXPECT_EQ(index["weight_map"].size(), tensors.size());
        std::set<std::string> files;
        for (const auto& [name, file] : index["weight_map"].items())
          files.insert(file.get<std::string>());
        EXPECT_EQ(files.size(), static_cast<size_t>(shards));  // none empty
        char first[64];
        std::snprintf(first, sizeof(first), "model-00001-of-%05d.safetensors", shards);
        EXPECT_TRUE(files.contains(first)) << first;
        EXPECT_EQ(index["metadata"]["total_size"], 2 * 20 * (dtype == DType::kF32 ? 2 : 1));
        EXPECT_FALSE(std::filesystem::exists(tmp.File("model.safetensors")));
      }
      absl::StatusOr<TensorMap> back = ReadCheckpointTensors(tmp.path());
      ASSERT_TRUE(back.ok()) << back.status();
      ExpectStored(*back, tensors, dtype);
    }
  }
}

TEST(CheckpointTest, RewritingSwitchesLayouts) {
  TempDir tmp;
  TensorMap one = SampleTensors();
  ASSERT_TRUE(WriteCheckpointTensors(tmp.path(), one, DType::kF32, 3).ok());
  one["d"].data[0] = 42;
  ASSERT_TRUE(WriteCheckpointTensors(tmp.path(), one, DType::kF32, 1).ok());
  EXPECT_EQ(ReadCheckpointTensors(tmp.path())->at("d").data[0], 42);
  one["d"].data[0] = 43;
  ASSERT_TRUE(WriteCheckpointTensors(tmp.path(), one, DType::kF32, 2).ok());
  EXPECT_EQ(ReadCheckpointTensors(tmp.path())->at("d").data[0], 43);
}

TEST(CheckpointTest, BadShardCounts) {
  TempDir tmp;
  for (int shards : {0, -1, 6}) {
    absl::Status s = WriteCheckpointTensors(tmp.path(), SampleTensors(), DType::kF32, shards);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << shards;
    EXPECT_NE(s.message().find(absl::StrCat("shards is ", shards)), absl::string_view::npos) << s;
  }
}

TEST(CheckpointTest, Errors) {
  TempDir tmp;
  absl::Status s = ReadCheckpointTensors(tmp.path()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("model.safetensors.index.json"), absl::string_view::npos) << s;

  ASSERT_TRUE(WriteCheckpointTensors(tmp.path(), SampleTensors(), DType::kF16, 3).ok());
  const std::string index_path = tmp.File("model.safetensors.index.json");
  const std::string index = ReadBytes(index_path);

  // A missing shard.
  const std::string shard2 = tmp.File("model-00002-of-00003.safetensors");
  const std::string shard2_bytes = ReadBytes(shard2);
  std::filesystem::remove(shard2);
  s = ReadCheckpointTensors(tmp.path()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("shard model-00002-of-00003.safetensors"), absl::string_view::npos)
      << s;
  WriteBytes(shard2, shard2_bytes);
  ASSERT_TRUE(ReadCheckpointTensors(tmp.path()).ok());

  // A corrupt shard names itself.
  WriteBytes(shard2, shard2_bytes.substr(0, shard2_bytes.size() - 1));
  s = ReadCheckpointTensors(tmp.path()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("model-00002-of-00003.safetensors"), absl::string_view::npos) << s;
  WriteBytes(shard2, shard2_bytes);

  auto with_index = [&](const nlohmann::json& j) {
    WriteBytes(index_path, j.dump());
    return ReadCheckpointTensors(tmp.path()).status();
  };
  nlohmann::json j = nlohmann::json::parse(index);
  const std::string file_of_b = j["weight_map"]["b"];
  const std::string file_of_a = j["weight_map"]["a.weight"];
  ASSERT_NE(file_of_b, file_of_a);

  // The index puts a tensor in the wrong shard.
  nlohmann::json moved = j;
  moved["weight_map"]["b"] = file_of_a;
  s = with_index(moved);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"b\""), absl::string_view::npos) << s;

  // The index forgets a tensor that a shard holds.
  nlohmann::json forgot = j;
  forgot["weight_map"].erase("b");
  s = with_index(forgot);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("holds tensor \"b\""), absl::string_view::npos) << s;

  // The index names a tensor nobody holds.
  nlohmann::json extra = j;
  extra["weight_map"]["ghost"] = file_of_b;
  s = with_index(extra);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"ghost\""), absl::string_view::npos) << s;

  // Shards outside the directory are refused.
  nlohmann::json escape = j;
  escape["weight_map"]["b"] = "../model.safetensors";
  s = with_index(escape);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("../model.safetensors"), absl::string_view::npos) << s;

  nlohmann::json not_a_file = j;
  not_a_file["weight_map"]["b"] = 3;
  EXPECT_EQ(with_index(not_a_file).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with_index(nlohmann::json::array()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with_index({{"metadata", {}}}).code(), absl::StatusCode::kInvalidArgument);

  WriteBytes(index_path, "{\"weight_map\": ");
  s = ReadCheckpointTensors(tmp.path()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not valid JSON"), absl::string_view::npos) << s;
}

}  // namespace
}  // namespace rlvr::model
