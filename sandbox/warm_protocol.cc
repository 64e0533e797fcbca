#include "sandbox/warm_protocol.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rlvr::sandbox {
namespace {

constexpr std::string_view kMagic = "RLVRW1";

void PutU64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
void PutStr(std::string& out, std::string_view s) {
  PutU64(out, s.size());
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view d) : d_(d) {}
  bool U64(uint64_t* v) {
    if (d_.size() < 8) return false;
    std::memcpy(v, d_.data(), 8);
    d_.remove_prefix(8);
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!U64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool Str(std::string* s) {
    uint64_t n;
    if (!U64(&n) || n > d_.size()) return false;
    s->assign(d_.data(), n);
    d_.remove_prefix(n);
    return true;
  }
  bool Done() const { return d_.empty(); }

 private:
  std::string_view d_;
};

}  // namespace

ssize_t SendTagWithFds(int socket, char tag, const int* fds, int count) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  const size_t bytes = sizeof(int) * static_cast<size_t>(count);
  iovec iov{&tag, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(bytes);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(bytes);
  std::memcpy(CMSG_DATA(c), fds, bytes);
  ssize_t n;
  do n = sendmsg(socket, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

ssize_t RecvTagWithFds(int socket, char* tag, int* fds, int* count, bool dontwait) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
  iovec iov{tag, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC | (dontwait ? MSG_DONTWAIT : 0));
  while (n < 0 && errno == EINTR && !dontwait);
  *count = 0;
  for (cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr; c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const int k = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < k; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + sizeof(int) * static_cast<size_t>(i), sizeof(int));
      if (*count < kMaxPassedFds) fds[(*count)++] = fd;
      else close(fd);
    }
  }
  return n;
}

std::string EncodeWarmSpec(const WarmSpec& spec) {
  std::string out(kMagic);
  PutU64(out, spec.argv.size());
  for (const std::string& a : spec.argv) PutStr(out, a);
  PutU64(out, spec.files.size());
  for (const auto& f : spec.files) {
    PutStr(out, f.path);
    PutU64(out, f.mode);
    PutStr(out, f.content);
  }
  PutU64(out, static_cast<uint64_t>(spec.rlimits.cpu_ms));
  PutU64(out, spec.rlimits.address_space_bytes);
  PutU64(out, static_cast<uint64_t>(spec.rlimits.max_processes));
  PutU64(out, spec.rlimits.file_size_bytes);
  PutU64(out, static_cast<uint64_t>(spec.rlimits.open_files));
  PutU64(out, spec.scratch_bytes);
  return out;
}

std::optional<WarmSpec> DecodeWarmSpec(std::string_view data) {
  if (data.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  Reader r(data.substr(kMagic.size()));
  WarmSpec spec;
  uint64_t n;
  if (!r.U64(&n) || n > 4096) return std::nullopt;
  spec.argv.resize(n);
  for (std::string& a : spec.argv) {
    if (!r.Str(&a)) return std::nullopt;
  }
  if (!r.U64(&n) || n > 4096) return std::nullopt;
  spec.files.resize(n);
  for (auto& f : spec.files) {
    uint64_t mode;
    if (!r.Str(&f.path) || !r.U64(&mode) || !r.Str(&f.content)) return std::nullopt;
    f.mode = static_cast<uint32_t>(mode & 0777);
  }
  if (!r.I64(&spec.rlimits.cpu_ms) || !r.U64(&spec.rlimits.address_space_bytes) ||
      !r.I64(&spec.rlimits.max_processes) || !r.U64(&spec.rlimits.file_size_bytes) ||
      !r.I64(&spec.rlimits.open_files) || !r.U64(&spec.scratch_bytes) || !r.Done()) {
    return std::nullopt;
  }
  if (spec.argv.empty()) return std::nullopt;
  return spec;
}

}  // namespace rlvr::sandbox
