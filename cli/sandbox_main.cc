// rlvr-sandbox run [--lang python|cpp|exec] [--time-ms N] [--memory-mb N] [--output-kb N]
//                  [--stdin FILE] [--cold] [--require-all] FILE [ARGS...]
//
// Runs FILE in the sandbox and prints the result as one JSON object. For --lang exec, FILE is a
// host executable copied into /work (or, with no such host file, a command inside the sandbox
// such as /bin/true).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "nlohmann/json.hpp"
#include "sandbox/sandbox.h"

namespace {

constexpr const char* kUsage =
    "usage: rlvr-sandbox run [--lang python|cpp|exec] [--time-ms N] [--memory-mb N]\n"
    "                        [--output-kb N] [--stdin FILE] [--cold] [--require-all] FILE [ARGS...]\n"
    "       rlvr-sandbox check   (print which mechanisms are enabled)\n";

int Usage(const std::string& why) {
  if (!why.empty()) std::cerr << "rlvr-sandbox: " << why << "\n";
  std::cerr << kUsage;
  return 2;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rlvr::sandbox;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return Usage("");
  rlvr::sandbox::Options options;
  if (args[0] == "check") {
    absl::StatusOr<std::unique_ptr<Sandbox>> sb = Sandbox::Create(options);
    if (!sb.ok()) {
      std::cerr << "rlvr-sandbox: " << sb.status().message() << "\n";
      return 1;
    }
    return (*sb)->mechanisms().missing.empty() ? 0 : 3;
  }
  if (args[0] != "run") return Usage("unknown command " + args[0]);

  RunSpec spec;
  std::string lang = "exec", stdin_file, file;
  std::vector<std::string> program_args;
  size_t i = 1;
  auto number = [&](int64_t* out) {
    if (i + 1 >= args.size() || !absl::SimpleAtoi(args[i + 1], out) || *out <= 0) return false;
    ++i;
    return true;
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    int64_t v;
    if (a == "--lang" && i + 1 < args.size()) {
      lang = args[++i];
    } else if (a == "--time-ms") {
      if (!number(&v)) return Usage("--time-ms needs a positive number");
      spec.limits.cpu_ms = v;
      spec.limits.wall_ms = std::max<int64_t>(2 * v, v + 1000);
    } else if (a == "--memory-mb") {
      if (!number(&v)) return Usage("--memory-mb needs a positive number");
      spec.limits.memory_mb = v;
    } else if (a == "--output-kb") {
      if (!number(&v)) return Usage("--output-kb needs a positive number");
      spec.limits.stdout_bytes = v * 1024;
      spec.limits.stderr_bytes = v * 1024;
    } else if (a == "--stdin" && i + 1 < args.size()) {
      stdin_file = args[++i];
    } else if (a == "--cold") {
      spec.warm = false;
      options.warm_python = false;
    } else if (a == "--require-all") {
      options.require_all = true;
    } else if (a.rfind("--", 0) == 0) {
      return Usage("unknown flag " + a);
    } else {
      file = a;
      program_args.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
  }
  if (file.empty()) return Usage("no FILE");
  if (!stdin_file.empty() && !ReadFile(stdin_file, &spec.stdin_data)) {
    return Usage("cannot read --stdin " + stdin_file);
  }
  std::string content;
  if (lang == "python") {
    spec.language = Language::kPython;
    if (!ReadFile(file, &content)) return Usage("cannot read " + file);
    spec.files.push_back({"main.py", content});
    spec.argv = {"main.py"};
  } else if (lang == "cpp") {
    spec.language = Language::kCpp;
    if (!ReadFile(file, &content)) return Usage("cannot read " + file);
    spec.files.push_back({"main.cpp", content});
  } else if (lang == "exec") {
    spec.language = Language::kExec;
    if (ReadFile(file, &content)) {
      spec.files.push_back({Basename(file), content, true});
      spec.argv = {"./" + Basename(file)};
    } else {
      spec.argv = {file};
    }
  } else {
    return Usage("--lang must be python, cpp or exec");
  }
  spec.argv.insert(spec.argv.end(), program_args.begin(), program_args.end());

  absl::StatusOr<std::unique_ptr<Sandbox>> sandbox = Sandbox::Create(options);
  if (!sandbox.ok()) {
    std::cerr << "rlvr-sandbox: " << sandbox.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<RunResult> r = (*sandbox)->Run(spec);
  if (!r.ok()) {
    std::cerr << "rlvr-sandbox: " << r.status().message() << "\n";
    return 2;
  }
  nlohmann::json j = {
      {"status", RunStatusName(r->status)},
      {"exit_code", r->exit_code},
      {"signal", r->signal},
      {"wall_ms", r->wall_ms},
      {"cpu_ms", r->cpu_ms},
      {"peak_memory_kb", r->peak_memory_kb},
      {"stdout", r->stdout_data},
      {"stderr", r->stderr_data},
      {"stdout_truncated", r->stdout_truncated},
      {"stderr_truncated", r->stderr_truncated},
  };
  if (!r->sandbox_error.empty()) j["sandbox_error"] = r->sandbox_error;
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return 0;
}
