# `cmake --install`: what a user of confab needs, and nothing else (no server internals, no
# tests): the `confab` binary, libconfab (confab::client) with its public headers, a CMake
# package (find_package(confab CONFIG)) and a pkg-config file (confab.pc).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CONFAB_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/confab)

install(TARGETS confab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The chat page. The binary serves this source tree's web/ while it exists, else
# <prefix>/share/confab/web next to its own bin/ (src/app/serve_command.cpp).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/confab/web)

install(TARGETS confab_client EXPORT confabTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/confab
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")

install(EXPORT confabTargets NAMESPACE confab:: DESTINATION ${CONFAB_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/confabConfig.cmake.in
  ${PROJECT_BINARY_DIR}/confabConfig.cmake
  INSTALL_DESTINATION ${CONFAB_INSTALL_CMAKEDIR})
# 0.x: a new minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/confabConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/confabConfig.cmake
  ${PROJECT_BINARY_DIR}/confabConfigVersion.cmake
  DESTINATION ${CONFAB_INSTALL_CMAKEDIR})

# confab.pc finds its prefix from its own location (${pcfiledir}), so the file stays right
# when the tree is installed with `cmake --install --prefix` somewhere else than configured.
file(RELATIVE_PATH CONFAB_PC_PREFIX_FROM_PCFILEDIR
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" CONFAB_PC_PREFIX_FROM_PCFILEDIR "${CONFAB_PC_PREFIX_FROM_PCFILEDIR}")
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(CONFAB_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(CONFAB_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/confab.pc.in ${PROJECT_BINARY_DIR}/confab.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/confab.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
