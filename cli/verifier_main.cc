// rlvr-verifier: serves rlvr.v1.Verifier (gRPC) and its HTTP endpoint until SIGTERM.
#include "cli/commands.h"

int main(int argc, char** argv) { return rlvr::cli::ServeVerifierCommand(argc, argv, 1); }
