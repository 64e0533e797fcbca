// A tiny flag parser for the command-line tools: `--name value` and `--name=value`, plus positional
// arguments. Unknown flags and bad values are errors that name the flag.
#ifndef RLVR_CLI_FLAGS_H_
#define RLVR_CLI_FLAGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rlvr::cli {

class Flags {
 public:
  // Parses argv[first..argc). `known` lists the flag names (without dashes) that take a value;
  // `switches` those that take none (`--name` alone means true).
  static absl::StatusOr<Flags> Parse(int argc, char** argv, int first,
                                     const std::set<std::string>& known,
                                     const std::set<std::string>& switches = {});

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // INVALID_ARGUMENT naming the flag when the value is not an integer in [min, max].
  absl::StatusOr<long long> GetInt(const std::string& name, long long fallback, long long min,
                                   long long max) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace rlvr::cli

#endif  // RLVR_CLI_FLAGS_H_
