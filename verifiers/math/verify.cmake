# Answer extraction and the top-level math verifier (included from verifiers/math/CMakeLists.txt).
target_sources(rlvr_math PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/extract.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/math_verifier.cc)

if(RLVR_BUILD_TESTS)
  add_executable(extract_test ${CMAKE_CURRENT_SOURCE_DIR}/extract_test.cc)
  target_link_libraries(extract_test PRIVATE rlvr_math GTest::gtest_main)
  # Tests whose suite name ends in "Slow" (10 MB inputs, pathological nesting) carry the ctest label
  # "slow"; `ctest -LE slow` runs the fast suite.
  gtest_discover_tests(extract_test TEST_FILTER "-*Slow.*")
  gtest_discover_tests(extract_test TEST_FILTER "*Slow.*" PROPERTIES LABELS slow)

  add_executable(math_verifier_test ${CMAKE_CURRENT_SOURCE_DIR}/math_verifier_test.cc)
  target_link_libraries(math_verifier_test PRIVATE rlvr_math GTest::gtest_main Threads::Threads)
  gtest_discover_tests(math_verifier_test TEST_FILTER "-*Slow.*")
  gtest_discover_tests(math_verifier_test TEST_FILTER "*Slow.*" PROPERTIES LABELS slow)

  add_executable(math_dataset_test ${CMAKE_CURRENT_SOURCE_DIR}/math_dataset_test.cc)
  target_link_libraries(math_dataset_test PRIVATE rlvr_math GTest::gtest_main
                        nlohmann_json::nlohmann_json)
  target_compile_definitions(math_dataset_test PRIVATE
    RLVR_MATH_PAIRS_PATH="${RLVR_SHARED_DIR}/datasets/math_verify_pairs.jsonl"
    RLVR_MATH_DISAGREEMENTS_PATH="${CMAKE_CURRENT_SOURCE_DIR}/DISAGREEMENTS.md")
  gtest_discover_tests(math_dataset_test)
endif()

if(RLVR_BUILD_FUZZ)
  # Coverage feedback from the library too, not only from the harness.
  target_compile_options(rlvr_math PRIVATE -fsanitize=fuzzer-no-link)
  add_executable(math_fuzzer ${CMAKE_CURRENT_SOURCE_DIR}/math_fuzzer.cc)
  target_compile_options(math_fuzzer PRIVATE -fsanitize=fuzzer)
  target_link_options(math_fuzzer PRIVATE -fsanitize=fuzzer)
  target_link_libraries(math_fuzzer PRIVATE rlvr_math)
endif()
