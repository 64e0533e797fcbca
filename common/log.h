// Minimal logging: one timestamped line per call to stderr; thread-safe (lines never interleave).
#ifndef RLVR_COMMON_LOG_H_
#define RLVR_COMMON_LOG_H_

#include <string_view>

namespace rlvr {

enum class LogLevel { kInfo, kWarning, kError };

void Log(LogLevel level, std::string_view message);
inline void LogInfo(std::string_view message) { Log(LogLevel::kInfo, message); }
inline void LogWarning(std::string_view message) { Log(LogLevel::kWarning, message); }
inline void LogError(std::string_view message) { Log(LogLevel::kError, message); }

}  // namespace rlvr

#endif  // RLVR_COMMON_LOG_H_
