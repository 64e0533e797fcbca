// Per-run overhead of the sandbox, side by side with plain fork/exec and bubblewrap, for
// /bin/true and `python3 -c pass`; then runs/s with 2 concurrent callers. Prints one table. As
// root, cold runs start from a pre-built root; the "scratch" row builds each run's root instead.
//
//   rlvr_sandbox_bench [--runs N]     (N /bin/true runs per row; Python rows use N/4)
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "sandbox/sandbox.h"

extern char** environ;

namespace {

using rlvr::sandbox::Language;
using rlvr::sandbox::RunSpec;
using rlvr::sandbox::RunStatus;
using rlvr::sandbox::Sandbox;

double NowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return false;
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::vector<std::string> Bwrap(std::vector<std::string> cmd) {
  std::vector<std::string> a = {"/usr/bin/bwrap", "--unshare-all", "--die-with-parent",
                                "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
                                "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                                "--tmpfs", "/work", "--chdir", "/work", "--clearenv",
                                "--setenv", "PATH", "/usr/bin:/bin", "--"};
  a.insert(a.end(), cmd.begin(), cmd.end());
  return a;
}

struct Stat {
  double median_ms = 0, mean_ms = 0;
  int failures = 0;
};

// Interleaves the rows (one run of each in turn) so that the load of a shared machine, which
// drifts over seconds, weighs on every row alike. Row i runs every strides[i]-th round.
std::vector<Stat> MeasureInterleaved(int rounds, const std::vector<std::function<bool()>>& fs,
                                     const std::vector<int>& strides) {
  std::vector<std::vector<double>> t(fs.size());
  std::vector<Stat> stats(fs.size());
  for (const auto& f : fs) f();  // warm caches
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < fs.size(); ++i) {
      if (round % strides[i] != 0) continue;
      double start = NowMs();
      if (!fs[i]()) ++stats[i].failures;
      t[i].push_back(NowMs() - start);
    }
  }
  for (size_t i = 0; i < fs.size(); ++i) {
    std::sort(t[i].begin(), t[i].end());
    stats[i].median_ms = t[i][t[i].size() / 2];
    for (double x : t[i]) stats[i].mean_ms += x / static_cast<double>(t[i].size());
  }
  return stats;
}

// Runs per second with `threads` callers, each doing `per_thread` runs.
double Throughput(int threads, int per_thread, const std::function<bool()>& once) {
  std::vector<std::thread> pool;
  double start = NowMs();
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&] {
      for (int k = 0; k < per_thread; ++k) once();
    });
  }
  for (auto& t : pool) t.join();
  return threads * per_thread / ((NowMs() - start) / 1000.0);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 200;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && !absl::SimpleAtoi(argv[i + 1], &runs)) return 2;
  }
  const int py_runs = std::max(1, runs / 4);
  absl::StatusOr<std::unique_ptr<Sandbox>> sb = Sandbox::Create({});
  if (!sb.ok()) {
    std::fprintf(stderr, "sandbox: %s\n", std::string(sb.status().message()).c_str());
    return 1;
  }
  Sandbox& sandbox = **sb;
  // The same sandbox without the pre-built root (spawner.h): every cold run builds its root and
  // network namespace, as without root or with cgroup v2 slots.
  rlvr::sandbox::Options scratch_options;
  scratch_options.warm_python = false;
  scratch_options.prebuilt_root = false;
  absl::StatusOr<std::unique_ptr<Sandbox>> scratch_sb = Sandbox::Create(scratch_options);
  if (!scratch_sb.ok()) {
    std::fprintf(stderr, "sandbox: %s\n", std::string(scratch_sb.status().message()).c_str());
    return 1;
  }
  Sandbox& scratch = **scratch_sb;
  const bool prebuilt = sandbox.mechanisms().prebuilt_root;
  const bool have_bwrap = access("/usr/bin/bwrap", X_OK) == 0;

  RunSpec true_spec;
  true_spec.argv = {"/bin/true"};
  RunSpec py_cold;
  py_cold.language = Language::kPython;
  py_cold.files.push_back({"main.py", "pass\n"});
  py_cold.warm = false;
  RunSpec py_warm = py_cold;
  py_warm.warm = true;
  auto run_in = [](Sandbox& box, const RunSpec& spec) {
    return [&box, &spec] {
      absl::StatusOr<rlvr::sandbox::RunResult> r = box.Run(spec);
      return r.ok() && r->status == RunStatus::kOk;
    };
  };
  auto run = [&](const RunSpec& spec) { return run_in(sandbox, spec); };
  auto plain_true = [] { return Spawn({"/bin/true"}); };
  auto bwrap_true = [] { return Spawn(Bwrap({"/bin/true"})); };
  auto plain_py = [] { return Spawn({"/usr/bin/python3", "-c", "pass"}); };
  auto bwrap_py = [] { return Spawn(Bwrap({"/usr/bin/python3", "-c", "pass"})); };

  struct Row {
    const char* name;
    int n;
    std::function<bool()> f;
    bool enabled;
  };
  std::vector<Row> rows = {
      {"/bin/true        plain fork/exec", runs, plain_true, true},
      {"/bin/true        bwrap", runs, bwrap_true, have_bwrap},
      {"/bin/true        rlvr cold", runs, run(true_spec), true},
      {"python3 -c pass  plain fork/exec", py_runs, plain_py, true},
      {"python3 -c pass  bwrap", py_runs, bwrap_py, have_bwrap},
      {"python3 pass     rlvr cold", py_runs, run(py_cold), true},
      {"python3 pass     rlvr warm", runs, run(py_warm), sandbox.mechanisms().warm_python},
      {"/bin/true        rlvr cold, scratch", runs, run_in(scratch, true_spec), prebuilt},
  };
  std::printf("interleaved rounds: %d (python rows every 4th; warm python every round)\n", runs);
  std::printf("\n%-36s %6s %11s %9s %9s %9s\n", "program / launcher", "runs", "median ms", "mean ms",
              "runs/s x2", "failures");
  std::vector<std::function<bool()>> fs;
  std::vector<int> strides;
  std::vector<size_t> index(rows.size(), 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].enabled) continue;
    index[i] = fs.size();
    fs.push_back(rows[i].f);
    strides.push_back(runs / rows[i].n);
  }
  std::vector<Stat> measured = MeasureInterleaved(runs, fs, strides);
  std::vector<Stat> stats(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].enabled) {
      std::printf("%-36s %6s\n", rows[i].name, "n/a");
      continue;
    }
    stats[i] = measured[index[i]];
    double rps = Throughput(2, std::max(5, rows[i].n / 4), rows[i].f);
    std::printf("%-36s %6d %11.3f %9.3f %9.0f %9d\n", rows[i].name, rows[i].n, stats[i].median_ms,
                stats[i].mean_ms, rps, stats[i].failures);
  }
  std::printf("\ncold overhead over plain exec (/bin/true, median): rlvr %+.3f ms (%s), bwrap %+.3f ms\n",
              stats[2].median_ms - stats[0].median_ms, prebuilt ? "pre-built root" : "root built per run",
              have_bwrap ? stats[1].median_ms - stats[0].median_ms : 0.0);
  if (prebuilt) {
    std::printf("cold overhead with the root built per run (scratch row): %+.3f ms\n",
                stats[7].median_ms - stats[0].median_ms);
  }
  if (sandbox.mechanisms().warm_python) {
    std::printf("warm python speed-up over bare `python3 -c pass` (median): %.1fx\n",
                stats[3].median_ms / stats[6].median_ms);
  }
  return 0;
}
