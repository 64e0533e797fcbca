# Math verification throughput beside HF Math-Verify's published figure (included from bench/CMakeLists.txt).
if(TARGET rlvr_math)
  add_executable(math_verify_bench ${CMAKE_CURRENT_SOURCE_DIR}/math_verify_bench.cc)
  target_link_libraries(math_verify_bench PRIVATE rlvr_math nlohmann_json::nlohmann_json)
  target_compile_definitions(math_verify_bench PRIVATE
    RLVR_MATH_PAIRS_PATH="${RLVR_SHARED_DIR}/datasets/math_verify_pairs.jsonl")
endif()
