// Math verification throughput on one thread, beside HF Math-Verify's published figure.
//
// Workloads: the 269 labelled pairs of shared/datasets/math_verify_pairs.jsonl (gold parsed on every
// call, and gold prepared once per group as the Verifier service does), and synthetic 10k / 100k
// character reasoning texts ending in \boxed{}. Each workload is looped for at least one second; every
// call is timed for the latency percentiles.
//
//   build/release/bench/math_verify_bench [min_seconds]
//   build/release/bench/math_verify_bench --slowest N     (where the time goes, per pair)
//   valgrind --tool=callgrind build/release/bench/math_verify_bench --count W
//       (instructions per verification, which a noisy machine cannot disturb: three untimed passes
//        over workload W = 0..3, in the order printed; divide CountPasses's inclusive count by the
//        number of calls it prints)
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "verifiers/math/math_verifier.h"

namespace {

using rlvr::math::MathVerifyOptions;
using Clock = std::chrono::steady_clock;

constexpr double kMathVerifyLow = 700.0;    // HF Math-Verify, verifications/s per core (published)
constexpr double kMathVerifyHigh = 2000.0;
constexpr double kTarget = 100000.0;

struct Item {
  std::string response;
  std::string gold;
  MathVerifyOptions options;
};

struct Result {
  std::string name;
  size_t calls = 0;
  double seconds = 0;      // wall time
  double cpu_seconds = 0;  // this thread's CPU time: the machine may be shared
  double p50_us = 0, p99_us = 0, max_us = 0;
  double rate() const { return calls / seconds; }
  double cpu_rate() const { return calls / cpu_seconds; }
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::vector<Item> LoadPairs(const char* path) {
  std::vector<Item> items;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json row = nlohmann::json::parse(line, nullptr, false);
    if (row.is_discarded()) continue;
    Item item;
    item.response = row["pred"].get<std::string>();
    item.gold = row["gold"].get<std::string>();
    if (row.contains("options")) {
      const nlohmann::json& o = row["options"];
      if (o.contains("precision")) item.options.compare.precision = o["precision"].get<int>();
      if (o.contains("strict")) item.options.compare.strict = o["strict"].get<bool>();
      if (o.contains("allow_set_relation_comp")) {
        item.options.compare.allow_set_relation_comp = o["allow_set_relation_comp"].get<bool>();
      }
    }
    items.push_back(std::move(item));
  }
  return items;
}

// A reasoning text of about `chars` characters that ends in a boxed answer.
std::string Reasoning(size_t chars, const std::string& answer, unsigned seed) {
  std::string t;
  t.reserve(chars + 64);
  unsigned x = seed;
  int step = 1;
  while (t.size() < chars) {
    x = x * 1103515245u + 12345u;
    const unsigned a = (x >> 8) % 97, b = (x >> 16) % 89;
    t += "Step " + std::to_string(step++) + ": we compute $" + std::to_string(a) + " + " +
         std::to_string(b) + " = " + std::to_string(a + b) + "$, and then \\(\\frac{" +
         std::to_string(a) + "}{" + std::to_string(b + 1) + "}\\) is not yet the answer. Let me "
         "check the previous step again, since 12 + 7 = 19 and the total must stay consistent.\n";
  }
  t += "Therefore, the final result is $\\boxed{" + answer + "}$.";
  return t;
}

std::vector<Item> Synthetic(size_t chars) {
  const char* answers[][2] = {{"\\frac{3}{4}", "0.75"},     {"2\\sqrt{3}", "\\sqrt{12}"},
                              {"(1, 2)", "(1,2)"},           {"x^2+1", "1+x^2"},
                              {"42", "41"},                  {"\\{1, 2\\}", "\\{2, 1\\}"},
                              {"\\frac{\\pi}{4}", "\\frac{\\pi}{3}"}, {"1000", "1,000"}};
  std::vector<Item> items;
  unsigned seed = 1;
  for (const auto& a : answers) {
    items.push_back({Reasoning(chars, a[1], seed++), a[0], {}});
  }
  return items;
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

Result Run(const std::string& name, size_t n, double min_seconds,
           const std::function<void(size_t)>& one) {
  Result r;
  r.name = name;
  std::vector<double> lat;
  lat.reserve(1 << 20);
  const double cpu_start = ThreadCpuSeconds();
  const Clock::time_point start = Clock::now();
  Clock::time_point now = start;
  do {
    for (size_t i = 0; i < n; ++i) {
      const Clock::time_point t0 = Clock::now();
      one(i);
      const Clock::time_point t1 = Clock::now();
      lat.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    now = Clock::now();
  } while (std::chrono::duration<double>(now - start).count() < min_seconds);
  r.calls = lat.size();
  r.seconds = std::chrono::duration<double>(now - start).count();
  r.cpu_seconds = ThreadCpuSeconds() - cpu_start;
  r.max_us = *std::max_element(lat.begin(), lat.end());
  r.p99_us = Percentile(lat, 0.99);
  r.p50_us = Percentile(lat, 0.50);
  return r;
}

}  // namespace

// Prints the `count` dataset pairs that cost the most (median of kRepeats calls each) and the share of
// the total time they take: where the mean goes.
int kRepeats = 25;

void PrintSlowest(const std::vector<Item>& pairs, size_t count) {
  std::vector<std::pair<double, size_t>> cost;
  double total = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    std::vector<double> t;
    for (int k = 0; k < kRepeats; ++k) {
      const Clock::time_point t0 = Clock::now();
      rlvr::math::MathVerdict r = rlvr::math::VerifyMath(pairs[i].response, pairs[i].gold, pairs[i].options);
      t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      (void)r;
    }
    const double median = Percentile(t, 0.5);
    cost.push_back({median, i});
    total += median;
  }
  std::sort(cost.rbegin(), cost.rend());
  double top = 0;
  std::printf("slowest dataset pairs (median us of 25 calls; all %zu pairs sum to %.0f us):\n", pairs.size(), total);
  for (size_t k = 0; k < std::min(count, cost.size()); ++k) {
    const Item& it = pairs[cost[k].second];
    top += cost[k].first;
    std::printf("%8.1f  gold=%-30.30s pred=%.60s\n", cost[k].first, it.gold.c_str(),
                it.response.substr(it.response.size() > 60 ? it.response.size() - 60 : 0).c_str());
  }
  std::printf("the %zu slowest take %.0f%% of the time\n\n", std::min(count, cost.size()), 100 * top / total);
}

// Three untimed passes over one workload, for counting instructions under callgrind.
__attribute__((noinline)) size_t CountPasses(const std::vector<Item>& items,
                                             const std::vector<rlvr::math::PreparedGold>* prepared) {
  size_t sink = 0;
  for (int pass = 0; pass < 3; ++pass) {
    for (size_t i = 0; i < items.size(); ++i) {
      const rlvr::math::MathVerdict v =
          prepared != nullptr
              ? rlvr::math::VerifyMath(items[i].response, (*prepared)[i], items[i].options)
              : rlvr::math::VerifyMath(items[i].response, items[i].gold, items[i].options);
      sink += static_cast<size_t>(v.outcome);
    }
  }
  return sink;
}

int main(int argc, char** argv) {
  if (argc > 2 && std::string(argv[1]) == "--count") {
    const int workload = std::atoi(argv[2]);
    const std::vector<Item> pairs = LoadPairs(RLVR_MATH_PAIRS_PATH);
    std::vector<rlvr::math::PreparedGold> prepared;
    for (const Item& p : pairs) prepared.push_back(rlvr::math::PrepareGold(p.gold, p.options));
    const std::vector<Item> items = workload <= 1   ? pairs
                                    : workload == 2 ? Synthetic(10000)
                                                    : Synthetic(100000);
    const size_t sink = CountPasses(items, workload == 1 ? &prepared : nullptr);
    std::printf("workload %d: %zu calls in CountPasses (checksum %zu)\n", workload, 3 * items.size(), sink);
    return 0;
  }
  size_t slowest = 0;
  if (argc > 2 && std::string(argv[1]) == "--slowest") {
    slowest = static_cast<size_t>(std::atoi(argv[2]));
    if (const char* r = std::getenv("RLVR_BENCH_REPEATS")) kRepeats = std::max(1, std::atoi(r));
    argv += 2;
    argc -= 2;
  }
  const double min_seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  const std::vector<Item> pairs = LoadPairs(RLVR_MATH_PAIRS_PATH);
  if (pairs.empty()) {
    std::fprintf(stderr, "cannot read %s\n", RLVR_MATH_PAIRS_PATH);
    return 1;
  }
  if (slowest > 0) {
    PrintSlowest(pairs, slowest);
    return 0;
  }
  std::vector<rlvr::math::PreparedGold> prepared;
  for (const Item& p : pairs) prepared.push_back(rlvr::math::PrepareGold(p.gold, p.options));
  const std::vector<Item> long10k = Synthetic(10000);
  const std::vector<Item> long100k = Synthetic(100000);

  size_t sink = 0;  // keeps the verdicts observable
  std::vector<Result> results;
  results.push_back(Run("dataset pairs (gold parsed per call)", pairs.size(), min_seconds,
                        [&](size_t i) {
                          sink += static_cast<size_t>(
                              rlvr::math::VerifyMath(pairs[i].response, pairs[i].gold,
                                                     pairs[i].options).outcome);
                        }));
  results.push_back(Run("dataset pairs (gold prepared once)", pairs.size(), min_seconds,
                        [&](size_t i) {
                          sink += static_cast<size_t>(
                              rlvr::math::VerifyMath(pairs[i].response, prepared[i],
                                                     pairs[i].options).outcome);
                        }));
  for (const auto* set : {&long10k, &long100k}) {
    const std::string name = set == &long10k ? "10k-char reasoning + \\boxed{}"
                                             : "100k-char reasoning + \\boxed{}";
    results.push_back(Run(name, set->size(), min_seconds, [&](size_t i) {
      sink += static_cast<size_t>(
          rlvr::math::VerifyMath((*set)[i].response, (*set)[i].gold, (*set)[i].options).outcome);
    }));
  }

  std::printf("math verification, one thread (%zu dataset pairs; %zu synthetic texts per length)\n",
              pairs.size(), long10k.size());
  std::printf("yardstick: HF Math-Verify: 700-2,000/s per core (published figure); target >= 100,000/s\n\n");
  std::printf("%-36s %9s %11s %11s %8s %8s %9s  %-15s %s\n", "workload", "calls", "verif/s",
              "verif/s", "p50 us", "p99 us", "max us", "x Math-Verify", "target");
  std::printf("%-36s %9s %11s %11s %8s %8s %9s  %-15s %s\n", "", "", "(wall)", "(thread cpu)", "", "",
              "", "(thread cpu)", "(cpu)");
  for (const Result& r : results) {
    char ratio[64];
    std::snprintf(ratio, sizeof ratio, "%.0fx-%.0fx", r.cpu_rate() / kMathVerifyHigh,
                  r.cpu_rate() / kMathVerifyLow);
    std::printf("%-36s %9zu %11.0f %11.0f %8.1f %8.1f %9.1f  %-15s %s\n", r.name.c_str(), r.calls,
                r.rate(), r.cpu_rate(), r.p50_us, r.p99_us, r.max_us, ratio,
                r.cpu_rate() >= kTarget ? "met" : "below");
  }
  std::printf("\nLatencies are wall-clock per call. The thread-cpu rate excludes time the thread was\n"
              "descheduled on a shared machine; compare ratios, not absolute figures.\n");
  std::printf("\n(checksum %zu)\n", sink);
  return 0;
}
