# code_bench: code verification problems/s (HumanEval canonical solutions; a stdio workload of
# Python and C++ programs), rlvr sandboxed beside an unsandboxed human-eval-style subprocess harness.
add_executable(code_bench ${CMAKE_CURRENT_SOURCE_DIR}/code_bench.cc)
target_link_libraries(code_bench PRIVATE rlvr_code)
target_compile_definitions(code_bench PRIVATE RLVR_SHARED_DIR="${RLVR_SHARED_DIR}")
