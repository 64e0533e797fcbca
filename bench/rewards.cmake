# rewards_bench: group advantages (GRPO) per second, rlvr_rewards beside a naive map-of-lists reference.
add_executable(rewards_bench ${CMAKE_CURRENT_SOURCE_DIR}/rewards_bench.cc)
target_link_libraries(rewards_bench PRIVATE rlvr_rewards)
