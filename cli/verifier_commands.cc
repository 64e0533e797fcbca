#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "common/jsonl.h"
#include "common/log.h"
#include "google/protobuf/util/json_util.h"
#include "rewards/reward_spec_proto.h"
#include "verifiers/service/batch_job.h"
#include "verifiers/service/verifier_server.h"

namespace rlvr::cli {
namespace {

constexpr char kVerifyUsage[] =
    "usage: rlvr verify --input FILE.jsonl [--output FILE] [--server HOST:PORT] [--threads N]\n"
    "  in:  {\"id\": \"...\", \"kind\": \"math\", \"response\": \"...\", \"answer\": \"...\", "
    "\"options\": {...}}\n"
    "       {\"id\": \"...\", \"kind\": \"code\", \"language\": \"python\", "
    "\"response\": \"```python\\n...\\n```\",\n"
    "        \"tests\": {\"type\": \"stdio\", \"cases\": [{\"input\": \"1 2\\n\", \"output\": \"3\\n\"}]}, "
    "\"limits\": {\"time_ms\": 2000, \"memory_mb\": 256}}\n"
    "       (code: language defaults to python; tests types stdio / call / assert, scoring, checker,\n"
    "        extract: see verifiers/code/README.md)\n"
    "  out: {\"id\": \"...\", \"outcome\": \"correct\", \"score\": 1.0, \"valid\": true, "
    "\"extracted\": \"...\", \"reason\": \"...\"}\n"
    "       code adds \"tests_passed\", \"tests_total\", \"all_passed\" and \"tests\": "
    "[{\"status\": \"passed\", \"wall_ms\": 12}, ...]\n";

constexpr char kServeUsage[] =
    "usage: rlvr-verifier [--host 127.0.0.1] [--port 50051] [--http-port 8080] [--threads N]\n"
    "                     [--max-queue 1024] [--max-stream-in-flight 64] [--reward-spec FILE.json]\n"
    "  --reward-spec: an rlvr.v1.RewardSpec in protobuf JSON, applied by /v1/openrlhf/reward to\n"
    "                 requests that carry none (rewards = its totals, terms in extra_logs)\n";

int Usage(const absl::Status& error, const char* usage) {
  std::fprintf(stderr, "error: %s\n%s", std::string(error.message()).c_str(), usage);
  return 2;
}

// The RewardSpec in protobuf JSON in `path`, validated. INVALID_ARGUMENT naming the file and what
// is wrong.
absl::StatusOr<v1::RewardSpec> ReadRewardSpec(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--reward-spec: cannot read ", path));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  v1::RewardSpec spec;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(text, &spec, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--reward-spec: ", path, " is not a RewardSpec in JSON: ",
                                                   parsed.message().as_string()));
  }
  if (absl::StatusOr<rewards::RewardSpec> valid = rewards::RewardSpecFromProto(spec); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--reward-spec: ", path, ": ", valid.status().message()));
  }
  return spec;
}

size_t DefaultThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 2 : n;
}

}  // namespace

int VerifyCommand(int argc, char** argv, int first) {
  absl::StatusOr<Flags> flags =
      Flags::Parse(argc, argv, first, {"input", "output", "server", "threads"});
  if (!flags.ok()) return Usage(flags.status(), kVerifyUsage);
  if (!flags->positional().empty()) {
    return Usage(absl::InvalidArgumentError(
                     absl::StrCat("unexpected argument '", flags->positional()[0], "'")),
                 kVerifyUsage);
  }
  if (!flags->Has("input")) return Usage(absl::InvalidArgumentError("--input is required"), kVerifyUsage);
  absl::StatusOr<long long> threads = flags->GetInt("threads", DefaultThreads(), 1, 1024);
  if (!threads.ok()) return Usage(threads.status(), kVerifyUsage);

  absl::StatusOr<std::unique_ptr<JsonlReader>> reader = JsonlReader::Open(flags->Get("input"));
  if (!reader.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(reader.status().message()).c_str());
    return 1;
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (flags->Has("output")) {
    file.open(flags->Get("output"), std::ios::binary | std::ios::trunc);
    if (!file) {
      std::fprintf(stderr, "error: cannot write '%s'\n", flags->Get("output").c_str());
      return 1;
    }
    out = &file;
  }
  JsonlWriter writer(out);
  BatchOptions options;
  absl::StatusOr<BatchSummary> summary;
  if (flags->Has("server")) {
    summary = RunBatchRemote(reader->get(), &writer, flags->Get("server"), options);
  } else {
    MetricsRegistry metrics;
    VerifierEngineOptions engine_options;
    engine_options.threads = static_cast<size_t>(*threads);
    engine_options.max_queue = 4 * options.chunk_lines;
    VerifierEngine engine(engine_options, &metrics);
    summary = RunBatchInProcess(reader->get(), &writer, &engine, options);
  }
  if (!summary.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(summary.status().message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "%s\n", summary->ToString().c_str());
  return 0;
}

int ServeVerifierCommand(int argc, char** argv, int first) {
  absl::StatusOr<Flags> flags = Flags::Parse(
      argc, argv, first,
      {"host", "port", "http-port", "threads", "max-queue", "max-stream-in-flight", "reward-spec"});
  if (!flags.ok()) return Usage(flags.status(), kServeUsage);
  if (!flags->positional().empty()) {
    return Usage(absl::InvalidArgumentError(
                     absl::StrCat("unexpected argument '", flags->positional()[0], "'")),
                 kServeUsage);
  }
  VerifierServerOptions options;
  options.host = flags->Get("host", options.host);
  absl::StatusOr<long long> port = flags->GetInt("port", options.grpc_port, 0, 65535);
  absl::StatusOr<long long> http_port = flags->GetInt("http-port", options.http_port, -1, 65535);
  absl::StatusOr<long long> threads = flags->GetInt("threads", DefaultThreads(), 1, 1024);
  absl::StatusOr<long long> max_queue = flags->GetInt("max-queue", 1024, 1, 1 << 20);
  absl::StatusOr<long long> in_flight = flags->GetInt("max-stream-in-flight", 64, 1, 1 << 16);
  for (const auto* v : {&port, &http_port, &threads, &max_queue, &in_flight}) {
    if (!v->ok()) return Usage(v->status(), kServeUsage);
  }
  options.grpc_port = static_cast<int>(*port);
  options.http_port = static_cast<int>(*http_port);
  options.engine.threads = static_cast<size_t>(*threads);
  options.engine.max_queue = static_cast<size_t>(*max_queue);
  options.service.max_stream_in_flight = static_cast<size_t>(*in_flight);
  if (const std::string path = flags->Get("reward-spec", ""); !path.empty()) {
    absl::StatusOr<v1::RewardSpec> spec = ReadRewardSpec(path);
    if (!spec.ok()) return Usage(spec.status(), kServeUsage);
    options.http_reward_spec = std::move(*spec);
  }

  // Block SIGTERM/SIGINT in every thread (gRPC's included) and take them on one waiting thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<VerifierServer>> server = VerifierServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  LogInfo(absl::StrCat("rlvr-verifier: gRPC on ", (*server)->grpc_target(), ", HTTP on port ",
                       (*server)->http_port(), ", ", options.engine.threads, " threads"));
  std::thread waiter([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    LogInfo(absl::StrCat("rlvr-verifier: signal ", signal_number,
                         ", shutting down (in-flight calls get 10 s)"));
    (*server)->Shutdown(absl::Seconds(10));
  });
  (*server)->Wait();
  waiter.join();
  LogInfo("rlvr-verifier: stopped");
  return 0;
}

}  // namespace rlvr::cli
