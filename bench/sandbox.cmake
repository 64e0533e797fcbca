# Sandbox start-up overhead beside plain fork/exec and bubblewrap.
add_executable(rlvr_sandbox_bench ${CMAKE_CURRENT_LIST_DIR}/sandbox_bench.cc)
target_link_libraries(rlvr_sandbox_bench PRIVATE rlvr_sandbox absl::strings)
