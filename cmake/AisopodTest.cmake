# aisopod_add_test(<name> SOURCES <files...> LIBS <targets...>)
# One GoogleTest executable; each TEST becomes a CTest test. Test data lives in the project
# (tests/testdata), never outside it.
function(aisopod_add_test name)
  if(NOT AISOPOD_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  # Tests reach into the internals (src/) of what they test.
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} aisopod_internal_includes GTest::gmock
    GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    AISOPOD_TESTDATA_DIR="${PROJECT_SOURCE_DIR}/tests/testdata")
  if(AISOPOD_SANITIZE)
    target_compile_definitions(${name} PRIVATE AISOPOD_SANITIZE_BUILD=1)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT 300)
endfunction()
