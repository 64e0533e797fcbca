#include "common/log.h"

#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace rlvr {

void Log(LogLevel level, std::string_view message) {
  static std::mutex mu;
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  tm parts;
  gmtime_r(&now.tv_sec, &parts);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &parts);
  const char* tag = level == LogLevel::kInfo ? "I" : level == LogLevel::kWarning ? "W" : "E";
  std::lock_guard<std::mutex> lock(mu);
  std::fprintf(stderr, "%s %s.%03ldZ %.*s\n", tag, stamp, now.tv_nsec / 1000000,
               static_cast<int>(message.size()), message.data());
}

}  // namespace rlvr
