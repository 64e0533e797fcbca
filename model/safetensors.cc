// The safetensors reader validates like the reference implementation: the header is a JSON object
// of at most 100 MB; every tensor's byte range matches its shape and dtype; the ranges, sorted,
// tile the data region exactly (no overlap, no gap, nothing after the last one). Files are mapped
// read-only, so a checkpoint is never held twice as raw bytes and as f32.
#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace rlvr::model {
namespace {

using Json = nlohmann::json;
using TensorMap = std::map<std::string, Tensor>;

constexpr char kSingleFile[] = "model.safetensors";
constexpr char kIndexFile[] = "model.safetensors.index.json";
constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
constexpr size_t kMaxRank = 8;

absl::Status Invalid(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

std::string Show(const Json& value) {
  std::string s = value.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

// A read-only mapping of a whole file, unmapped on destruction.
class MappedFile {
 public:
  static absl::StatusOr<MappedFile> Open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      const std::string msg = absl::StrCat("cannot open ", path, ": ", std::strerror(err));
      return err == ENOENT ? absl::NotFoundError(msg) : absl::PermissionDeniedError(msg);
    }
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat(path, " is not a regular file"));
    }
    MappedFile file;
    file.size_ = static_cast<size_t>(st.st_size);
    if (file.size_ > 0) {
      void* p = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        return absl::ResourceExhaustedError(
            absl::StrCat("cannot map ", path, " (", file.size_, " bytes): ", std::strerror(err)));
      }
      file.data_ = static_cast<const char*>(p);
    }
    ::close(fd);
    return file;
  }

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  MappedFile& operator=(MappedFile&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }

  std::string_view bytes() const { return std::string_view(data_, size_); }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

uint64_t ReadU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// A non-negative integer JSON value, or nullopt.
std::optional<uint64_t> AsU64(const Json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

absl::StatusOr<Entry> ParseEntry(const std::string& path, const std::string& name, const Json& info,
                                 uint64_t data_size) {
  const std::string where = absl::StrCat("tensor \"", name, "\"");
  if (!info.is_object())
    return Invalid(path, absl::StrCat(where, " is ", Show(info), "; expected an object"));
  Entry e;
  e.name = name;
  auto dtype = info.find("dtype");
  if (dtype == info.end() || !dtype->is_string()) {
    return Invalid(path, absl::StrCat(where, " has no string \"dtype\""));
  }
  const std::string dtype_name = dtype->get<std::string>();
  if (dtype_name == "F32") {
    e.dtype = DType::kF32;
  } else if (dtype_name == "F16") {
    e.dtype = DType::kF16;
  } else if (dtype_name == "BF16") {
    e.dtype = DType::kBF16;
  } else {
    return Invalid(path,
                   absl::StrCat(where, " has dtype ", Show(*dtype), "; supported: F32, F16, BF16"));
  }
  auto shape = info.find("shape");
  if (shape == info.end() || !shape->is_array() || shape->size() > kMaxRank) {
    return Invalid(path,
                   absl::StrCat(where, " has shape ", shape == info.end() ? "(none)" : Show(*shape),
                                "; expected a list of at most ", kMaxRank, " sizes"));
  }
  // Elements the data region could hold at most; bounding each partial product by it keeps the
  // product from overflowing.
  const uint64_t max_elements = data_size / DTypeSize(e.dtype);
  uint64_t numel = 1;
  for (const Json& d : *shape) {
    std::optional<uint64_t> dim = AsU64(d);
    if (!dim.has_value())
      return Invalid(
          path, absl::StrCat(where, " has shape ", Show(*shape), "; sizes must be integers >= 0"));
    e.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(*dim, uint64_t{INT64_MAX})));
    if (*dim == 0) {
      numel = 0;
    } else if (numel != 0) {
      if (*dim > max_elements || numel > max_elements / *dim) {
        return Invalid(path, absl::StrCat(where, " has shape ", Show(*shape), ", more than the ",
                                          data_size, " data bytes can hold"));
      }
      numel *= *dim;
    }
  }
  auto offsets = info.find("data_offsets");
  std::optional<uint64_t> begin, end;
  if (offsets != info.end() && offsets->is_array() && offsets->size() == 2) {
    begin = AsU64((*offsets)[0]);
    end = AsU64((*offsets)[1]);
  }
  if (!begin.has_value() || !end.has_value() || *begin > *end) {
    return Invalid(path, absl::StrCat(where, " has data_offsets ",
                                      offsets == info.end() ? "(none)" : Show(*offsets),
                                      "; expected [begin, end] with 0 <= begin <= end"));
  }
  if (*end > data_size) {
    return Invalid(path, absl::StrCat(where, " has data_offsets ", Show(*offsets),
                                      " past the end of the ", data_size, "-byte data region"));
  }
  if (*end - *begin != numel * DTypeSize(e.dtype)) {
    return Invalid(path, absl::StrCat(where, " has data_offsets ", Show(*offsets), " (",
                                      *end - *begin, " bytes) but shape ", Show(*shape), " of ",
                                      dtype_name, " needs ", numel * DTypeSize(e.dtype), " bytes"));
  }
  e.begin = *begin;
  e.end = *end;
  return e;
}

absl::StatusOr<std::vector<Entry>> ParseHeader(const std::string& path, std::string_view header,
                                               uint64_t data_size) {
  Json root;
  try {
    root = Json::parse(header.begin(), header.end());
  } catch (const Json::exception& e) {
    return Invalid(path, absl::StrCat("header is not JSON: ", e.what()));
  }
  if (!root.is_object())
    return Invalid(path, absl::StrCat("header is ", Show(root), "; expected an object"));
  std::vector<Entry> entries;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object())
        return Invalid(path, absl::StrCat("__metadata__ is ", Show(*it), "; expected an object"));
      continue;
    }
    ASSIGN_OR_RETURN(Entry e, ParseEntry(path, it.key(), *it, data_size));
    entries.push_back(std::move(e));
  }
  // The ranges, in order, must cover [0, data_size) exactly once.
  std::vector<const Entry*> order;
  for (const Entry& e : entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->begin, a->end) < std::tie(b->begin, b->end);
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : order) {
    if (e->begin < covered) {
      return Invalid(path, absl::StrCat("tensor \"", e->name, "\" bytes [", e->begin, ", ", e->end,
                                        ") overlap tensor \"", previous->name, "\" bytes [",
                                        previous->begin, ", ", previous->end, ")"));
    }
    if (e->begin > covered) {
      return Invalid(path,
                     absl::StrCat("data bytes [", covered, ", ", e->begin,
                                  ") belong to no tensor (gap before tensor \"", e->name, "\")"));
    }
    covered = e->end;
    previous = e;
  }
  if (covered != data_size) {
    return Invalid(path, absl::StrCat("the data region is ", data_size,
                                      " bytes but the tensors cover ", covered));
  }
  return entries;
}

absl::Status WriteFile(const std::string& path, const std::vector<std::string_view>& pieces) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  bool ok = true;
  for (std::string_view piece : pieces) {
    if (!piece.empty() && std::fwrite(piece.data(), 1, piece.size(), f) != piece.size()) ok = false;
  }
  if (std::fclose(f) != 0) ok = false;
  if (!ok)
    return absl::DataLossError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  return absl::OkStatus();
}

absl::Status CheckTensor(const std::string& name, const Tensor& t) {
  if (name == "__metadata__")
    return absl::InvalidArgumentError("a tensor cannot be named __metadata__");
  for (int64_t d : t.shape) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor \"", name, "\" has shape ", t.ShapeString()));
    }
  }
  if (static_cast<int64_t>(t.data.size()) != t.numel()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor \"", name, "\" has shape ", t.ShapeString(), " but ", t.data.size(), " values"));
  }
  return absl::OkStatus();
}

// Writes `names` (all present in `tensors`) as one file; returns its data size in `data_bytes`.
absl::Status WriteOne(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::vector<std::string>& names, DType dtype, uint64_t* data_bytes) {
  nlohmann::ordered_json header;
  header["__metadata__"] = {{"format", "pt"}};
  uint64_t offset = 0;
  for (const std::string& name : names) {
    const Tensor& t = tensors.at(name);
    RETURN_IF_ERROR(CheckTensor(name, t));
    const uint64_t size = t.data.size() * DTypeSize(dtype);
    header[name] = {{"dtype", std::string(DTypeName(dtype))},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8,
              ' ');  // keeps the data 8-byte aligned, as the reference does
  char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<char>((uint64_t{text.size()} >> (8 * i)) & 0xff);
  // Encode one tensor at a time into the file to bound the extra memory to one tensor.
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  bool ok = std::fwrite(length, 1, 8, f) == 8 &&
            std::fwrite(text.data(), 1, text.size(), f) == text.size();
  for (size_t i = 0; ok && i < names.size(); ++i) {
    const std::string bytes = EncodeElements(dtype, tensors.at(names[i]).data);
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) ok = false;
  }
  const int saved_errno = errno;
  if (std::fclose(f) != 0) ok = false;
  if (!ok)
    return absl::DataLossError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(saved_errno)));
  *data_bytes = offset;
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return buffer.str();
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

absl::StatusOr<std::map<std::string, Tensor>> ReadSharded(const std::string& dir) {
  const std::string index_path = dir + "/" + kIndexFile;
  ASSIGN_OR_RETURN(std::string text, ReadText(index_path));
  // shard file -> tensor names the index puts there
  std::map<std::string, std::set<std::string>> shards;
  try {
    const Json index = Json::parse(text);
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
      return Invalid(index_path, "expected an object with a \"weight_map\" object");
    }
    for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
      if (!it->is_string()) {
        return Invalid(index_path, absl::StrCat("weight_map maps \"", it.key(), "\" to ", Show(*it),
                                                "; expected a file name"));
      }
      const std::string file = it->get<std::string>();
      if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
        return Invalid(index_path,
                       absl::StrCat("weight_map maps \"", it.key(), "\" to \"", file,
                                    "\"; shards must be plain file names in the directory"));
      }
      shards[file].insert(it.key());
    }
  } catch (const Json::exception& e) {
    return Invalid(index_path, absl::StrCat("not valid JSON: ", e.what()));
  }
  std::map<std::string, Tensor> all;
  for (const auto& [file, names] : shards) {
    const std::string path = dir + "/" + file;
    if (!Exists(path)) {
      return absl::NotFoundError(
          absl::StrCat("shard ", file, " listed in ", index_path, " does not exist"));
    }
    ASSIGN_OR_RETURN(TensorMap tensors, ReadSafetensors(path));
    for (const std::string& name : names) {
      if (!tensors.contains(name)) {
        return Invalid(index_path, absl::StrCat("weight_map puts tensor \"", name, "\" in ", file,
                                                ", which does not hold it"));
      }
    }
    for (auto& [name, tensor] : tensors) {
      if (!names.contains(name)) {
        return Invalid(path, absl::StrCat("holds tensor \"", name, "\", which ", kIndexFile,
                                          " does not map to this file"));
      }
      all.emplace(name, std::move(tensor));
    }
  }
  return all;
}

}  // namespace

absl::StatusOr<std::map<std::string, Tensor>> ReadSafetensors(const std::string& path) {
  ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  return ParseSafetensors(file.bytes(), path);
}

absl::StatusOr<std::map<std::string, Tensor>> ParseSafetensors(std::string_view bytes,
                                                               const std::string& path) {
  if (bytes.size() < 8) {
    return Invalid(path,
                   absl::StrCat("file is ", bytes.size(),
                                " bytes; a safetensors file starts with an 8-byte header length"));
  }
  const uint64_t header_size = ReadU64(bytes.data());
  if (header_size > bytes.size() - 8) {
    return Invalid(path, absl::StrCat("header length ", header_size, " exceeds the ",
                                      bytes.size() - 8, " bytes after it"));
  }
  if (header_size > kMaxHeaderBytes) {
    return Invalid(
        path, absl::StrCat("header length ", header_size, " exceeds the limit ", kMaxHeaderBytes));
  }
  const std::string_view header = bytes.substr(8, header_size);
  const std::string_view data = bytes.substr(8 + header_size);
  ASSIGN_OR_RETURN(std::vector<Entry> entries, ParseHeader(path, header, data.size()));
  std::map<std::string, Tensor> tensors;
  for (Entry& e : entries) {
    Tensor t;
    t.shape = std::move(e.shape);
    RETURN_IF_ERROR(DecodeElements(e.dtype, data.substr(e.begin, e.end - e.begin), &t.data));
    tensors.emplace(std::move(e.name), std::move(t));
  }
  return tensors;
}

absl::Status WriteSafetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                              DType dtype) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : tensors) names.push_back(name);
  uint64_t data_bytes = 0;
  return WriteOne(path, tensors, names, dtype, &data_bytes);
}

absl::StatusOr<std::map<std::string, Tensor>> ReadCheckpointTensors(const std::string& dir) {
  const std::string single = dir + "/" + kSingleFile;
  if (Exists(single)) return ReadSafetensors(single);
  if (Exists(dir + "/" + kIndexFile)) return ReadSharded(dir);
  return absl::NotFoundError(absl::StrCat("no ", kSingleFile, " or ", kIndexFile, " in ", dir));
}

absl::Status WriteCheckpointTensors(const std::string& dir,
                                    const std::map<std::string, Tensor>& tensors, DType dtype,
                                    int shards) {
  if (shards < 1 || static_cast<size_t>(shards) > std::max<size_t>(tensors.size(), 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("shards is ", shards, "; expected 1 to the tensor count ", tensors.size()));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  // Remove the other layout's files so that ReadCheckpointTensors reads what is written here.
  const std::string single = dir + "/" + kSingleFile;
  const std::string index_path = dir + "/" + kIndexFile;
  std::filesystem::remove(shards == 1 ? index_path : single, ec);
  if (shards == 1) return WriteSafetensors(single, tensors, dtype);

  // Split the tensors, in name order, into `shards` runs of about equal bytes, none empty.
  uint64_t total = 0;
  for (const auto& [name, t] : tensors) total += t.data.size();
  std::vector<std::vector<std::string>> groups(shards);
  uint64_t seen = 0;
  size_t remaining = tensors.size();
  size_t g = 0;
  for (const auto& [name, t] : tensors) {
    // Move on when this shard has its share, or when the later shards need every tensor left.
    const bool share_done = !groups[g].empty() && seen >= total * (g + 1) / shards;
    const bool must_move = !groups[g].empty() && remaining == static_cast<size_t>(shards - g - 1);
    if ((share_done || must_move) && g + 1 < static_cast<size_t>(shards)) ++g;
    groups[g].push_back(name);
    seen += t.data.size();
    --remaining;
  }
  nlohmann::ordered_json index;
  uint64_t total_bytes = 0;
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  for (int i = 0; i < shards; ++i) {
    char file[64];
    std::snprintf(file, sizeof(file), "model-%05d-of-%05d.safetensors", i + 1, shards);
    uint64_t bytes = 0;
    RETURN_IF_ERROR(WriteOne(dir + "/" + file, tensors, groups[i], dtype, &bytes));
    total_bytes += bytes;
    for (const std::string& name : groups[i]) weight_map[name] = file;
  }
  index["metadata"] = {{"total_size", total_bytes}};
  index["weight_map"] = std::move(weight_map);
  const std::string text = index.dump(2) + "\n";
  return WriteFile(index_path, {text});
}

}  // namespace rlvr::model
