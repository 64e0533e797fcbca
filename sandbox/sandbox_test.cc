#include "sandbox/sandbox.h"

#include "gtest/gtest.h"

namespace rlvr::sandbox {
namespace {

Sandbox& Shared() {
  static Sandbox* s = [] {
    absl::StatusOr<std::unique_ptr<Sandbox>> sb = Sandbox::Create({});
    if (!sb.ok()) {
      fprintf(stderr, "%s\n", std::string(sb.status().message()).c_str());
      abort();
    }
    return sb->release();
  }();
  return *s;
}

RunSpec Python(std::string code, bool warm = true) {
  RunSpec spec;
  spec.language = Language::kPython;
  spec.files.push_back({"main.py", std::move(code)});
  spec.warm = warm;
  return spec;
}

TEST(SandboxTest, ExecTrue) {
  RunSpec spec;
  spec.argv = {"/bin/true"};
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, RunStatus::kOk) << r->sandbox_error << r->stderr_data;
  EXPECT_EQ(r->exit_code, 0);
}

TEST(SandboxTest, ExitCodeAndStdin) {
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", "cat; echo err >&2; exit 3"};
  spec.stdin_data = "hello";
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kRuntimeError);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stdout_data, "hello");
  EXPECT_EQ(r->stderr_data, "err\n");
}

TEST(SandboxTest, LargeStdinRoundTrips) {
  RunSpec spec;
  spec.argv = {"/bin/cat"};
  spec.stdin_data = std::string(3 << 20, 'x');
  spec.limits.stdout_bytes = 4 << 20;
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kOk);
  EXPECT_EQ(r->stdout_data.size(), spec.stdin_data.size());
}

TEST(SandboxTest, PythonColdAndWarmAgree) {
  for (bool warm : {false, true}) {
    RunSpec spec = Python("import sys\nprint(input()[::-1], sys.argv[1:])\n", warm);
    spec.argv = {"main.py", "a1"};
    spec.stdin_data = "abc\n";
    absl::StatusOr<RunResult> r = Shared().Run(spec);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, RunStatus::kOk) << warm << r->sandbox_error << r->stderr_data;
    EXPECT_EQ(r->stdout_data, "cba ['a1']\n") << warm;
  }
}

TEST(SandboxTest, PythonExceptionAndSystemExit) {
  for (bool warm : {false, true}) {
    absl::StatusOr<RunResult> r = Shared().Run(Python("raise ValueError('boom')\n", warm));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, RunStatus::kRuntimeError);
    EXPECT_EQ(r->exit_code, 1);
    EXPECT_NE(r->stderr_data.find("ValueError: boom"), std::string::npos) << r->stderr_data;
    r = Shared().Run(Python("import sys\nprint('x')\nsys.exit(4)\n", warm));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 4) << warm;
    EXPECT_EQ(r->stdout_data, "x\n") << warm;
  }
}

TEST(SandboxTest, CppCompilesAndRuns) {
  RunSpec spec;
  spec.language = Language::kCpp;
  spec.files.push_back({"main.cpp",
                        "#include <iostream>\nint main(){int a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}\n"});
  spec.stdin_data = "2 40\n";
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kOk) << r->sandbox_error << r->stderr_data;
  EXPECT_EQ(r->stdout_data, "42\n");
}

TEST(SandboxTest, CppCompileError) {
  RunSpec spec;
  spec.language = Language::kCpp;
  spec.files.push_back({"main.cpp", "int main() { return undefined_name; }\n"});
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kCompileError);
  EXPECT_NE(r->stderr_data.find("undefined_name"), std::string::npos);
}

TEST(SandboxTest, SetupErrorNamesTheStep) {
  RunSpec spec;
  spec.argv = {"/usr/bin/does-not-exist"};
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kSandboxError);
  EXPECT_EQ(r->sandbox_error, "execve: No such file or directory");
}

TEST(SandboxTest, InvalidSpecs) {
  RunSpec spec;
  EXPECT_EQ(Shared().Run(spec).status().code(), absl::StatusCode::kInvalidArgument);  // no argv
  spec.argv = {"/bin/true"};
  spec.files.push_back({"../escape", "x"});
  EXPECT_EQ(Shared().Run(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.files = {{"/abs", "x"}};
  EXPECT_EQ(Shared().Run(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.files.clear();
  spec.limits.cpu_ms = 0;
  EXPECT_EQ(Shared().Run(spec).status().code(), absl::StatusCode::kInvalidArgument);
  RunSpec py;
  py.language = Language::kPython;
  EXPECT_EQ(Shared().Run(py).status().code(), absl::StatusCode::kInvalidArgument);  // no main.py
}

TEST(SandboxTest, FilesArePlaced) {
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", "cat d/in.txt; ./run.sh"};
  spec.files = {{"d/in.txt", "data\n"}, {"run.sh", "#!/bin/sh\necho ran\n", true}};
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kOk) << r->sandbox_error << r->stderr_data;
  EXPECT_EQ(r->stdout_data, "data\nran\n");
}

TEST(SandboxTest, MechanismsAreReported) {
  const Mechanisms& m = Shared().mechanisms();
  EXPECT_TRUE(m.namespaces);
  EXPECT_TRUE(m.seccomp);
  EXPECT_FALSE(m.Describe().empty());
}

}  // namespace
}  // namespace rlvr::sandbox
