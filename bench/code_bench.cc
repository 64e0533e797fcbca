// Code verification throughput: problems/s for rlvr (every run isolated in the sandbox) beside an
// unsandboxed subprocess harness in the style of human-eval's execution.py (one fresh python3 /
// compiled binary per run, no isolation), same concurrency, same machine, same run.
//
//   build/release/bench/code_bench [--threads N] [--python P] [--cpp C] [--cases K] [--skip-humaneval]
//
// Workloads: HumanEval's 164 canonical solutions with all their tests (one problem = one program
// + its check()), and a stdio workload of P Python + C++ programs (distinct sources) x K cases.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "verifiers/code/code_verifier.h"
#include "verifiers/code/compare.h"
#include "verifiers/code/dataset_loaders.h"

namespace {

namespace v1 = rlvr::v1;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

// Runs `argv` with `input` on stdin, no isolation; kills it after `timeout_ms`. Returns the exit
// status (-1 on timeout) and stdout.
int RunProcess(const std::vector<std::string>& argv, const std::string& input, int timeout_ms, std::string* out,
               const char* cwd = nullptr) {
  int in[2], o[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(o, O_CLOEXEC) != 0) return -2;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(o[1], 1);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    if (cwd != nullptr && chdir(cwd) != 0) _exit(127);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(o[1]);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (input.empty()) {
    close(in[1]);
    in[1] = -1;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  bool timed_out = false;
  char buf[65536];
  while (true) {
    pollfd fds[2] = {{o[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) {
      timed_out = true;
      break;
    }
    poll(fds, in[1] >= 0 ? 2 : 1, left);
    if (in[1] >= 0 && (fds[1].revents & (POLLOUT | POLLERR))) {
      ssize_t n = write(in[1], input.data() + written, input.size() - written);
      if (n > 0) written += n;
      if (n < 0 || written == input.size()) {
        close(in[1]);
        in[1] = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(o[0], buf, sizeof(buf));
      if (n <= 0) break;
      out->append(buf, n);
    }
  }
  if (in[1] >= 0) close(in[1]);
  close(o[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs job(i) for i in [0, n) on `threads` threads.
void ParallelFor(int n, int threads, const std::function<void(int)>& job) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) job(i);
    });
  }
  for (auto& t : pool) t.join();
}

struct Row {
  std::string name;
  int problems = 0, passed = 0;
  double seconds = 0;
};

void PrintRow(const Row& r) {
  std::printf("  %-52s %8.2f %9.1f %7d/%d\n", r.name.c_str(), r.problems / r.seconds, r.seconds, r.passed,
              r.problems);
}

void PrintHeader(const std::string& title) {
  std::printf("\n%s\n  %-52s %8s %9s %9s\n", title.c_str(), "harness", "probs/s", "wall s", "passed");
}

struct HumanEvalRow {
  std::string prompt, solution, test, entry;
  v1::CodeProblem problem;
};

// A stdio program: distinct source per index, reading n numbers and printing a function of them.
struct StdioProgram {
  std::string language, source;
  v1::CodeProblem problem;
};

std::vector<StdioProgram> MakeStdioWorkload(int python, int cpp, int cases) {
  std::vector<StdioProgram> out;
  for (int i = 0; i < python + cpp; ++i) {
    const bool is_cpp = i >= python;
    const int k = i % 97 + 1;
    StdioProgram p;
    p.language = is_cpp ? "cpp" : "python";
    if (is_cpp) {
      // Half include <bits/stdc++.h> (the competitive-programming habit), half name their headers.
      p.source = i % 2 == 0 ? "#include <bits/stdc++.h>\nusing namespace std;\n"
                            : "#include <iostream>\n#include <vector>\n#include <algorithm>\nusing namespace std;\n";
      p.source += "int main() { int n; cin >> n; vector<long long> v(n); for (auto& x : v) cin >> x;\n"
                  "  sort(v.begin(), v.end()); long long s = 0; for (auto x : v) s += x * " +
                  std::to_string(k) + ";\n  cout << s << ' ' << v.back() << '\\n'; }\n";
    } else {
      p.source = "n = int(input())\nv = sorted(map(int, input().split()))\nprint(sum(x * " + std::to_string(k) +
                 " for x in v), v[-1])\n";
    }
    p.problem.set_language(p.language);
    p.problem.mutable_tests()->set_type("stdio");
    for (int c = 0; c < cases; ++c) {
      const int n = 5 + (i * 7 + c * 13) % 200;
      std::string input = std::to_string(n) + "\n";
      long long sum = 0, mx = -1;
      for (int j = 0; j < n; ++j) {
        const int x = (i * 31 + c * 17 + j * 7) % 1000;
        input += std::to_string(x) + (j + 1 < n ? " " : "\n");
        sum += static_cast<long long>(x) * k;
        mx = std::max<long long>(mx, x);
      }
      v1::CodeTestCase* tc = p.problem.mutable_tests()->add_cases();
      tc->set_input(input);
      tc->set_output(std::to_string(sum) + " " + std::to_string(mx) + "\n");
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  int python = 70, cpp = 30, cases = 10;
  bool humaneval = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (a == "--threads") threads = next();
    else if (a == "--python") python = next();
    else if (a == "--cpp") cpp = next();
    else if (a == "--cases") cases = next();
    else if (a == "--skip-humaneval") humaneval = false;
    else {
      std::fprintf(stderr, "usage: code_bench [--threads N] [--python P] [--cpp C] [--cases K] [--skip-humaneval]\n");
      return 2;
    }
  }
  if (threads <= 0) threads = 2;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  rlvr::code::CodeVerifierOptions options;
  options.max_parallel_runs = threads;
  auto made = rlvr::code::CodeVerifier::Create(options);
  if (!made.ok()) {
    std::fprintf(stderr, "code_bench: %s\n", std::string(made.status().message()).c_str());
    return 1;
  }
  rlvr::code::CodeVerifier& verifier = **made;
  std::printf("code_bench: %d worker threads on %u hardware threads\n", threads, std::thread::hardware_concurrency());
  const auto pch_start = Clock::now();
  while (!verifier.precompiled_header_ready() && Seconds(pch_start) < 300) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::printf("precompiled <bits/stdc++.h> built once in %.1f s (%s)\n", Seconds(pch_start),
              verifier.precompiled_header_ready() ? "ready" : "not ready; compiling without");

  char tmpl[] = "/tmp/rlvr_code_bench_XXXXXX";
  const std::string scratch = mkdtemp(tmpl);

  if (humaneval) {
    std::vector<HumanEvalRow> rows;
    std::ifstream in(RLVR_SHARED_DIR "/datasets/humaneval.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      rows.push_back({j["prompt"], j["canonical_solution"], j["test"], j["entry_point"],
                      *rlvr::code::FromHumanEval(j)});
    }
    const int n = static_cast<int>(rows.size());
    PrintHeader("HumanEval: " + std::to_string(n) + " canonical solutions, all tests");
    Row rlvr_row{"rlvr (sandboxed: namespaces+seccomp+cgroup, warm py)", n};
    std::atomic<int> passed{0};
    auto t0 = Clock::now();
    ParallelFor(n, threads, [&](int i) {
      const HumanEvalRow& r = rows[i];
      v1::Verdict v = verifier.Verify("```python\n" + r.prompt + r.solution + "\n```", r.problem);
      passed += v.score() == 1.0;
    });
    rlvr_row.seconds = Seconds(t0);
    rlvr_row.passed = passed;
    PrintRow(rlvr_row);

    Row base{"subprocess python3 per problem (unsandboxed)", n};
    passed = 0;
    t0 = Clock::now();
    ParallelFor(n, threads, [&](int i) {
      const HumanEvalRow& r = rows[i];
      const std::string path = scratch + "/he_" + std::to_string(i) + ".py";
      std::ofstream(path) << r.prompt << r.solution << "\n" << r.test << "\n" << "check(" << r.entry << ")\n";
      std::string out;
      passed += RunProcess({"/usr/bin/python3", path}, "", 10000, &out) == 0;
    });
    base.seconds = Seconds(t0);
    base.passed = passed;
    PrintRow(base);
    std::printf("  rlvr / subprocess: %.2fx\n", base.seconds / rlvr_row.seconds);
  }

  std::vector<StdioProgram> programs = MakeStdioWorkload(python, cpp, cases);
  const int n = static_cast<int>(programs.size());
  PrintHeader("stdio: " + std::to_string(python) + " Python + " + std::to_string(cpp) + " C++ programs x " +
              std::to_string(cases) + " cases");
  Row rlvr_row{"rlvr (sandboxed; compile cache + PCH; cases in parallel)", n};
  std::atomic<int> passed{0};
  auto t0 = Clock::now();
  ParallelFor(n, threads, [&](int i) {
    const StdioProgram& p = programs[i];
    v1::Verdict v = verifier.Verify("```" + p.language + "\n" + p.source + "```", p.problem);
    passed += v.score() == 1.0;
  });
  rlvr_row.seconds = Seconds(t0);
  rlvr_row.passed = passed;
  PrintRow(rlvr_row);

  Row base{"subprocess per case, g++ per program (unsandboxed)", n};
  passed = 0;
  t0 = Clock::now();
  ParallelFor(n, threads, [&](int i) {
    const StdioProgram& p = programs[i];
    const std::string dir = scratch + "/s" + std::to_string(i);
    std::filesystem::create_directories(dir);
    std::vector<std::string> run;
    std::string out;
    if (p.language == "cpp") {
      std::ofstream(dir + "/main.cpp") << p.source;
      if (RunProcess({"/usr/bin/g++", "-std=c++17", "-O2", "-pipe", "-o", dir + "/main", dir + "/main.cpp"}, "", 120000,
                     &out) != 0) {
        return;
      }
      run = {dir + "/main"};
    } else {
      std::ofstream(dir + "/main.py") << p.source;
      run = {"/usr/bin/python3", dir + "/main.py"};
    }
    bool all = true;
    for (const v1::CodeTestCase& c : p.problem.tests().cases()) {
      out.clear();
      all &= RunProcess(run, c.input(), 10000, &out) == 0 &&
             rlvr::code::CompareOutput(c.output(), out, {}).equal;
    }
    passed += all;
  });
  base.seconds = Seconds(t0);
  base.passed = passed;
  PrintRow(base);
  std::printf("  rlvr / subprocess: %.2fx\n", base.seconds / rlvr_row.seconds);
  std::printf("  compile cache: %lld compiles, %lld hits\n", static_cast<long long>(verifier.compile_cache_misses()),
              static_cast<long long>(verifier.compile_cache_hits()));
  std::printf(
      "\nFor context: SandboxFusion publishes ~13-15 problems/s on a 128-thread machine (its HumanEval-style "
      "runs); figures above are for this machine's %u hardware threads.\n",
      std::thread::hardware_concurrency());
  std::filesystem::remove_all(scratch);
  return 0;
}
