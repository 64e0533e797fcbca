# Parsing, exact/numeric values and comparison (compare.h). Included by CMakeLists.txt.
target_sources(rlvr_math PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/compare.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/evaluator.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/expr.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/internal/lexer.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/parser.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/value.cc)

if(RLVR_BUILD_TESTS)
  foreach(t parser_test value_test compare_test)
    add_executable(math_${t} ${CMAKE_CURRENT_SOURCE_DIR}/${t}.cc)
    target_link_libraries(math_${t} PRIVATE rlvr_math PkgConfig::GMP PkgConfig::MPFR GTest::gtest_main)
    target_compile_definitions(math_${t} PRIVATE RLVR_SHARED_DIR="${RLVR_SHARED_DIR}")
    gtest_discover_tests(math_${t} DISCOVERY_TIMEOUT 60)
  endforeach()
endif()
