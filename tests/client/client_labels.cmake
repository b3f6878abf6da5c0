# Included by ctest (TEST_INCLUDE_FILES) after the tests gtest_discover_tests found in the
# client's test binaries: adds the label `client` to each, next to unit or integration.
# (gtest_discover_tests cannot do it itself: in CMake 3.25 its PROPERTIES flatten a list
# value, so LABELS "unit;client" would become LABELS unit + a bogus property.)
if(confab_client_unit_tests_TESTS)
  set_tests_properties(${confab_client_unit_tests_TESTS} PROPERTIES LABELS "unit;client")
endif()
if(confab_client_integration_tests_TESTS)
  set_tests_properties(${confab_client_integration_tests_TESTS}
    PROPERTIES LABELS "integration;client")
endif()
