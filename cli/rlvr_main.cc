// `rlvr`: the command-line front door. Subcommands compose the libraries; nothing depends on cli/.
#include <cstdio>
#include <cstring>

#include "cli/commands.h"

namespace {

constexpr char kUsage[] =
    "usage: rlvr COMMAND [flags]\n"
    "  verify --input FILE.jsonl [--output FILE] [--server HOST:PORT]   verify answers in a JSONL file\n"
    "  serve verifier [--port N] [--http-port N] ...                     run the verifier service\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "verify")) return rlvr::cli::VerifyCommand(argc, argv, 2);
  if (!std::strcmp(argv[1], "serve")) {
    if (argc >= 3 && !std::strcmp(argv[2], "verifier")) {
      return rlvr::cli::ServeVerifierCommand(argc, argv, 3);
    }
    std::fprintf(stderr, "error: rlvr serve needs a service name (verifier)\n%s", kUsage);
    return 2;
  }
  std::fprintf(stderr, "error: unknown command '%s'\n%s", argv[1], kUsage);
  return 2;
}
