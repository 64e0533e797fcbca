# Answer extraction and the top-level math verifier (included from verifiers/math/CMakeLists.txt).
target_sources(rlvr_math PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/extract.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/math_verifier.cc)

if(RLVR_BUILD_TESTS)
  add_executable(extract_test ${CMAKE_CURRENT_SOURCE_DIR}/extract_test.cc)
  target_link_libraries(extract_test PRIVATE rlvr_math GTest::gtest_main)
  gtest_discover_tests(extract_test)
endif()
