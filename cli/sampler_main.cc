// rlvr-sampler: serves rlvr.v1.Sampler (gRPC) and its OpenAI-compatible HTTP endpoint until
// SIGTERM or SIGINT, then shuts down gracefully.
//
// With no --model-dir it serves an embedded tiny model with random weights and the test tokenizer,
// so it runs with zero setup. --backend remote fronts an external OpenAI-compatible engine (vLLM,
// SGLang) at --remote-url; its API key, if any, is read from $RLVR_REMOTE_API_KEY (never a flag, so
// it stays out of process listings).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/flags.h"
#include "common/log.h"
#include "model/fixtures.h"
#include "model/tokenizer.h"
#include "model/weights.h"
#include "sampler/backend.h"
#include "sampler/engine.h"
#include "sampler/service/remote_sampler.h"
#include "sampler/service/sampler_server.h"

namespace {

using rlvr::cli::Flags;
namespace sampler = rlvr::sampler;

constexpr char kUsage[] =
    "usage: rlvr-sampler [--model-dir DIR] [--model-name NAME] [--backend cpu|cuda|remote]\n"
    "                    [--remote-url URL] [--remote-model NAME] [--host 127.0.0.1]\n"
    "                    [--grpc-port 50052] [--http-port 8000] [--threads N] [--device 0]\n"
    "                    [--max-n 64] [--max-tokens 4096] [--kv-pages 4096] [--max-running 64]\n"
    "                    [--policy-version 0] [--restart-on-update]\n"
    "  --model-dir DIR    config.json + *.safetensors + tokenizer.json (default: an embedded\n"
    "                     random tiny model with the test tokenizer)\n"
    "  --backend          cpu (default), cuda, or remote (an OpenAI-compatible engine at\n"
    "                     --remote-url; API key from $RLVR_REMOTE_API_KEY)\n"
    "  --threads N        CPU backend threads (0: all cores); remote: concurrent HTTP calls\n"
    "  --http-port -1     no HTTP endpoint; port 0 picks a free port\n"
    "  Flags may also be spelled with underscores (--grpc_port).\n";

int g_signal_pipe[2] = {-1, -1};

// Async-signal-safe: hands the signal number to the waiting thread.
void OnSignal(int signal_number) {
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(signal_number);
  if (write(g_signal_pipe[1], &byte, 1) < 0) {
    // Nothing to do in a handler; the pipe is never full (one byte per signal, read at once).
  }
  errno = saved_errno;
}

int Usage(const absl::Status& error) {
  std::fprintf(stderr, "error: %s\n%s", std::string(error.message()).c_str(), kUsage);
  return 2;
}

int Fail(const absl::Status& error) {
  std::fprintf(stderr, "error: %s\n", std::string(error.message()).c_str());
  return 1;
}

// "--grpc_port=1" -> "--grpc-port=1": one spelling for the parser. Values are left alone.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) continue;
    const size_t end = std::min(arg.find('='), arg.size());
    for (size_t j = 2; j < end; ++j) {
      if (arg[j] == '_') arg[j] = '-';
    }
  }
  return args;
}

// The embedded model or --model-dir, on the chosen local backend.
absl::StatusOr<std::unique_ptr<sampler::Sampler>> LocalEngine(const Flags& flags,
                                                              const std::string& backend_name,
                                                              long long threads, long long device,
                                                              uint64_t version,
                                                              sampler::EngineOptions options) {
  rlvr::model::ModelWeights weights;
  std::shared_ptr<const rlvr::model::Tokenizer> tokenizer;
  if (flags.Has("model-dir")) {
    const std::string dir = flags.Get("model-dir");
    absl::StatusOr<rlvr::model::ModelWeights> loaded = rlvr::model::LoadModel(dir);
    if (!loaded.ok()) return loaded.status();
    weights = std::move(*loaded);
    absl::StatusOr<std::unique_ptr<rlvr::model::Tokenizer>> tok =
        rlvr::model::Tokenizer::Load((std::filesystem::path(dir) / "tokenizer.json").string());
    if (!tok.ok()) return tok.status();
    tokenizer = std::move(*tok);
    if (!flags.Has("model-name")) {
      std::filesystem::path path(dir);
      if (!path.has_filename()) path = path.parent_path();
      options.model_name = path.filename().string();
    }
  } else {
    int64_t vocab = 0;
    const std::string json = rlvr::model::TestTokenizerJson(&vocab);
    absl::StatusOr<std::unique_ptr<rlvr::model::Tokenizer>> tok =
        rlvr::model::Tokenizer::FromJson(json);
    if (!tok.ok()) return tok.status();
    tokenizer = std::move(*tok);
    weights = rlvr::model::RandomWeights(rlvr::model::TinyConfig(vocab), /*seed=*/0);
  }
  std::unique_ptr<sampler::Backend> backend;
  if (backend_name == "cpu") {
    backend = sampler::NewCpuBackend(static_cast<int>(threads));
  } else {
    absl::StatusOr<std::unique_ptr<sampler::Backend>> cuda =
        sampler::NewCudaBackend(static_cast<int>(device));
    if (!cuda.ok()) return cuda.status();
    backend = std::move(*cuda);
  }
  absl::StatusOr<std::unique_ptr<sampler::Engine>> engine = sampler::Engine::Create(
      std::move(backend), std::move(weights), version, std::move(tokenizer), std::move(options));
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<sampler::Sampler>(std::move(*engine));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args = NormalizeFlagNames(argc, argv);
  std::vector<char*> arg_ptrs;
  for (std::string& arg : args) arg_ptrs.push_back(arg.data());
  for (int i = 1; i < argc; ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  absl::StatusOr<Flags> flags =
      Flags::Parse(argc, arg_ptrs.data(), 1,
                   {"model-dir", "model-name", "backend", "remote-url", "remote-model", "host",
                    "grpc-port", "port", "http-port", "threads", "device", "max-n", "max-tokens",
                    "kv-pages", "max-running", "policy-version"},
                   {"restart-on-update"});
  if (!flags.ok()) return Usage(flags.status());
  if (!flags->positional().empty()) {
    return Usage(absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", flags->positional()[0], "'")));
  }
  const std::string backend = flags->Get("backend", "cpu");
  if (backend != "cpu" && backend != "cuda" && backend != "remote") {
    return Usage(absl::InvalidArgumentError(
        absl::StrCat("--backend=", backend, " is not one of cpu, cuda, remote")));
  }
  if (backend == "remote" && !flags->Has("remote-url")) {
    return Usage(absl::InvalidArgumentError("--backend=remote needs --remote-url"));
  }
  if (backend != "remote" && (flags->Has("remote-url") || flags->Has("remote-model"))) {
    return Usage(
        absl::InvalidArgumentError("--remote-url and --remote-model need --backend=remote"));
  }
  if (backend == "remote" && flags->Has("model-dir")) {
    return Usage(absl::InvalidArgumentError(
        "--model-dir is for the local backends; the remote engine loads its own model"));
  }
  if (flags->Has("port") && flags->Has("grpc-port")) {
    return Usage(absl::InvalidArgumentError("--port and --grpc-port name the same port; give one"));
  }
  sampler::SamplerServerOptions options;
  options.host = flags->Get("host", options.host);
  absl::StatusOr<long long> grpc_port =
      flags->GetInt(flags->Has("port") ? "port" : "grpc-port", options.grpc_port, 0, 65535);
  absl::StatusOr<long long> http_port = flags->GetInt("http-port", options.http_port, -1, 65535);
  absl::StatusOr<long long> threads =
      flags->GetInt("threads", backend == "remote" ? 16 : 0, backend == "remote" ? 1 : 0, 1024);
  absl::StatusOr<long long> device = flags->GetInt("device", 0, 0, 1024);
  sampler::EngineOptions engine;
  absl::StatusOr<long long> max_n = flags->GetInt("max-n", engine.max_n, 1, 1 << 16);
  absl::StatusOr<long long> max_tokens = flags->GetInt("max-tokens", engine.max_tokens, 1, 1 << 24);
  absl::StatusOr<long long> kv_pages = flags->GetInt("kv-pages", engine.kv_pages, 1, 1LL << 32);
  absl::StatusOr<long long> max_running =
      flags->GetInt("max-running", engine.max_running, 1, 1 << 20);
  absl::StatusOr<long long> version =
      flags->GetInt("policy-version", 0, 0, std::numeric_limits<long long>::max());
  for (const auto* v : {&grpc_port, &http_port, &threads, &device, &max_n, &max_tokens, &kv_pages,
                        &max_running, &version}) {
    if (!v->ok()) return Usage(v->status());
  }
  options.grpc_port = static_cast<int>(*grpc_port);
  options.http_port = static_cast<int>(*http_port);
  engine.max_n = static_cast<int32_t>(*max_n);
  engine.max_tokens = static_cast<int32_t>(*max_tokens);
  engine.kv_pages = *kv_pages;
  engine.max_running = static_cast<int32_t>(*max_running);
  engine.restart_on_update = flags->Get("restart-on-update") == "true";
  if (flags->Has("model-name")) engine.model_name = flags->Get("model-name");

  // SIGTERM/SIGINT go through a self-pipe to one waiting thread. (Blocking them with sigwait, as
  // rlvr-verifier does, is not enough here: OpenBLAS starts its threads before main, with the
  // signals unblocked, so one of them could take the signal and die of it.)
  if (pipe(g_signal_pipe) != 0) return Fail(absl::InternalError("cannot create the signal pipe"));
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  absl::StatusOr<std::unique_ptr<sampler::Sampler>> served;
  if (backend == "remote") {
    sampler::RemoteSamplerOptions remote;
    remote.base_url = flags->Get("remote-url");
    remote.model = flags->Get("remote-model");
    if (const char* key = std::getenv("RLVR_REMOTE_API_KEY"); key != nullptr) remote.api_key = key;
    remote.policy_version = static_cast<uint64_t>(*version);
    remote.max_n = engine.max_n;
    remote.max_tokens = engine.max_tokens;
    remote.threads = static_cast<size_t>(*threads);
    absl::StatusOr<std::unique_ptr<sampler::RemoteSampler>> created =
        sampler::RemoteSampler::Create(std::move(remote));
    if (created.ok()) {
      served = std::unique_ptr<sampler::Sampler>(std::move(*created));
    } else {
      served = created.status();
    }
  } else {
    served =
        LocalEngine(*flags, backend, *threads, *device, static_cast<uint64_t>(*version), engine);
  }
  if (!served.ok()) return Fail(served.status());

  absl::StatusOr<std::unique_ptr<sampler::SamplerServer>> server =
      sampler::SamplerServer::Start(std::move(*served), std::move(options));
  if (!server.ok()) return Fail(server.status());
  const sampler::SamplerInfo info = (*server)->sampler().Info();
  rlvr::LogInfo(absl::StrCat(
      "rlvr-sampler: gRPC on ", (*server)->grpc_target(), ", HTTP on ",
      (*server)->http_port() >= 0 ? (*server)->http_url() : std::string("(none)"), ", model \"",
      info.model, "\" on ", info.backend, ", policy version ", info.policy_version));
  std::thread waiter([&] {
    unsigned char signal_number = 0;
    while (read(g_signal_pipe[0], &signal_number, 1) < 0 && errno == EINTR) {
    }
    rlvr::LogInfo(absl::StrCat("rlvr-sampler: signal ", static_cast<int>(signal_number),
                               ", shutting down (in-flight calls get 10 s)"));
    (*server)->Shutdown(absl::Seconds(10));
  });
  (*server)->Wait();
  waiter.join();
  server->reset();
  rlvr::LogInfo("rlvr-sampler: stopped");
  return 0;
}
