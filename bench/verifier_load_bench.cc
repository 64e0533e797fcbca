// gRPC load generator for rlvr-verifier: verifications/s and call latency on loopback at several
// client concurrencies, beside the same work called in-process (no RPC) in the same run.
//
//   build/release/bench/verifier_load_bench [--seconds S] [--group K]
//
// Workload: the (gold, pred) pairs of Math-Verify's test suite (shared/datasets), K responses per
// group. Client and server share this machine's cores, so the RPC figures include the load
// generator's own CPU.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "verifiers/service/verifier_server.h"
#include "verifiers/service/verify_client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Pair {
  std::string gold, pred;
};

std::vector<Pair> LoadPairs() {
  std::vector<Pair> pairs;
  std::ifstream in(RLVR_SHARED_DIR "/datasets/math_verify_pairs.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto row = nlohmann::json::parse(line);
    pairs.push_back({row["gold"], row["pred"]});
  }
  return pairs;
}

rlvr::v1::VerifyRequest Group(const std::vector<Pair>& pairs, size_t i, int k) {
  rlvr::v1::VerifyRequest request;
  request.set_request_id(std::to_string(i));
  request.mutable_problem()->set_kind(rlvr::v1::PROBLEM_KIND_MATH);
  const Pair& p = pairs[i % pairs.size()];
  request.mutable_problem()->mutable_math()->set_gold(p.gold);
  for (int j = 0; j < k; ++j) request.add_responses(j == 0 ? p.pred : pairs[(i + j) % pairs.size()].pred);
  return request;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
}

struct Figures {
  double verifications_per_s, p50_ms, p99_ms;
  long errors;
};

// `concurrency` threads, each with its own channel, issuing unary Verify back to back.
Figures RunUnary(const std::string& target, const std::vector<Pair>& pairs, int k,
                 int concurrency, double seconds) {
  std::atomic<long> done{0}, errors{0};
  std::vector<std::vector<double>> latencies(concurrency);
  std::vector<std::thread> threads;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      rlvr::VerifierClient client(target);
      size_t i = static_cast<size_t>(t) * 7919;
      while (Clock::now() < end) {
        auto request = Group(pairs, i++, k);
        const auto start = Clock::now();
        auto response = client.Verify(request, absl::Seconds(30));
        latencies[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (response.ok()) done += k; else errors++;
      }
    });
  }
  const auto start = Clock::now();
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  return {done / elapsed, Percentile(all, 0.5), Percentile(all, 0.99), errors.load()};
}

// One VerifyStream carrying `n` groups (the server keeps up to max_stream_in_flight in flight).
Figures RunStream(const std::string& target, const std::vector<Pair>& pairs, int k, size_t n) {
  std::vector<rlvr::v1::VerifyRequest> requests;
  for (size_t i = 0; i < n; ++i) requests.push_back(Group(pairs, i, k));
  rlvr::VerifierClient client(target);
  const auto start = Clock::now();
  auto responses = client.VerifyMany(requests, absl::Seconds(120));
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  long errors = responses.ok() ? 0 : static_cast<long>(n);
  return {responses.ok() ? n * k / elapsed : 0, 0, 0, errors};
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  int k = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--group")) k = std::atoi(argv[i + 1]);
  }
  const std::vector<Pair> pairs = LoadPairs();
  if (pairs.empty()) {
    std::fprintf(stderr, "cannot read " RLVR_SHARED_DIR "/datasets/math_verify_pairs.jsonl\n");
    return 1;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());

  // Yardstick: the same groups verified in-process on one thread, no RPC.
  rlvr::MetricsRegistry metrics;
  rlvr::VerifierEngine engine({}, &metrics);
  long in_process = 0;
  const auto t0 = Clock::now();
  const auto in_process_end = t0 + std::chrono::duration<double>(seconds);
  for (size_t i = 0; Clock::now() < in_process_end; ++i) {
    auto r = engine.VerifyNow(Group(pairs, i, k), absl::Now() + absl::Seconds(30));
    if (r.ok()) in_process += k;
  }
  const double in_process_rate =
      in_process / std::chrono::duration<double>(Clock::now() - t0).count();

  rlvr::VerifierServerOptions options;
  options.grpc_port = 0;
  options.http_port = -1;
  options.engine.threads = cores;
  options.engine.max_queue = 4096;
  options.service.max_stream_in_flight = 256;
  auto server = rlvr::VerifierServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  const std::string target = (*server)->grpc_target();

  std::printf("rlvr-verifier gRPC load on loopback: %u cores shared by server and client, "
              "groups of %d responses, %zu dataset pairs\n\n", cores, k, pairs.size());
  std::printf("%-34s %14s %10s %10s %8s %12s\n", "mode", "verif/s", "p50 ms", "p99 ms", "errors",
              "vs 1-thread");
  std::printf("%-34s %14.0f %10s %10s %8s %12s\n", "in-process, 1 thread, no RPC", in_process_rate,
              "-", "-", "0", "1.00x");
  for (int concurrency : {1, 4, 16, 64}) {
    Figures f = RunUnary(target, pairs, k, concurrency, seconds);
    char mode[64];
    std::snprintf(mode, sizeof(mode), "unary Verify, %d concurrent", concurrency);
    std::printf("%-34s %14.0f %10.3f %10.3f %8ld %11.2fx\n", mode, f.verifications_per_s, f.p50_ms,
                f.p99_ms, f.errors, f.verifications_per_s / in_process_rate);
  }
  Figures s = RunStream(target, pairs, k, 20000);
  std::printf("%-34s %14.0f %10s %10s %8ld %11.2fx\n", "VerifyStream, 1 stream, 20k groups",
              s.verifications_per_s, "-", "-", s.errors, s.verifications_per_s / in_process_rate);
  std::printf("\nyardstick: HF Math-Verify verifies ~700-2,000 answers/s per core (published figure)\n");
  (*server)->Shutdown(absl::Seconds(5));
  return 0;
}
