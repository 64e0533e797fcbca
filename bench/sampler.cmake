# Sampler throughput and KV memory (CPU backend).
add_executable(sampler_bench sampler_bench.cc)
target_link_libraries(sampler_bench PRIVATE rlvr_sampler_engine rlvr_model)
