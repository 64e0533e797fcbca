// The subcommands shared by `rlvr` and the per-service binaries. Each returns a process exit code
// (0 ok, 1 failure, 2 usage error) and prints its own errors to stderr.
#ifndef RLVR_CLI_COMMANDS_H_
#define RLVR_CLI_COMMANDS_H_

namespace rlvr::cli {

// rlvr verify --input FILE.jsonl [--output FILE] [--server HOST:PORT] [--threads N]
int VerifyCommand(int argc, char** argv, int first);

// rlvr serve verifier / rlvr-verifier: [--host H] [--port N] [--http-port N] [--threads N]
// [--max-queue N] [--max-stream-in-flight N]. Serves until SIGTERM or SIGINT, then shuts down
// gracefully.
int ServeVerifierCommand(int argc, char** argv, int first);

}  // namespace rlvr::cli

#endif  // RLVR_CLI_COMMANDS_H_
