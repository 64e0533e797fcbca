// The C++ precompiled header: built once in the background, then used by compiles that include
// <bits/stdc++.h> (and the programs still run correctly). Slow: the build takes ~10 CPU-seconds.
#include <chrono>
#include <thread>

#include "tests/code/test_util.h"

namespace rlvr::code {
namespace {

TEST(PrecompiledHeaderTest, SlowBuiltOnceAndUsed) {
  CodeVerifierOptions o;
  o.max_parallel_runs = 2;
  auto v = CodeVerifier::Create(o);
  ASSERT_TRUE(v.ok()) << v.status();
  const auto start = std::chrono::steady_clock::now();
  while (!(*v)->precompiled_header_ready() && std::chrono::steady_clock::now() - start < std::chrono::minutes(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE((*v)->precompiled_header_ready());
  v1::CodeProblem p = testing::Stdio("cpp", {{"3\n1 2 3\n", "6\n"}, {"1\n-4\n", "-4\n"}});
  v1::Verdict verdict = (*v)->Verify(
      testing::Fence("cpp", "#include <bits/stdc++.h>\nusing namespace std;\nint main(){int n;cin>>n;"
                            "vector<long long> a(n);for(auto&x:a)cin>>x;cout<<accumulate(a.begin(),a.end(),0LL)<<endl;}"),
      p);
  EXPECT_EQ(verdict.outcome(), v1::OUTCOME_CORRECT) << testing::Describe(verdict);
}

}  // namespace
}  // namespace rlvr::code
