# The installed package (DESIGN.md section 9): `cmake --install <build> --prefix P` puts in P
#   include/aisopod/*.hpp                  the public headers (src/**.hpp, the internals, never)
#   lib/libaisopod*.a                      the static libraries
#   lib/cmake/aisopod/                     find_package(aisopod CONFIG): aisopod::aisopod, ...
#   lib/pkgconfig/aisopod.pc               pkg-config --cflags --libs aisopod
#   bin/aisopod                            the command
# (lib is CMAKE_INSTALL_LIBDIR: lib/<multiarch> for a /usr prefix on Debian.)
# Included by the top-level CMakeLists.txt after every target exists. tests/install checks it.
include(CMakePackageConfigHelpers)

# The libraries of the package, in link order: each before the ones it uses. That is the
# order of the -l flags in aisopod.pc; the check below keeps it true.
set(aisopod_package_libraries aisopod_all)
set(aisopod_json_providers OFF)  # simdjson and Boost.JSON are needed by the providers only
foreach(p OPENAI ANTHROPIC GEMINI BEDROCK OLLAMA)
  string(TOLOWER ${p} lp)
  if(TARGET aisopod_provider_${lp})
    list(APPEND aisopod_package_libraries aisopod_provider_${lp})
    set(aisopod_json_providers ON)
  endif()
endforeach()
list(APPEND aisopod_package_libraries
  aisopod_provider aisopod_config aisopod_codec aisopod_http aisopod_state aisopod_types)

# Each library is exported as aisopod::<name without "aisopod_">, the name of its alias in this
# build (aisopod::types, aisopod::provider_openai, ...); aisopod_all is aisopod::aisopod and
# its archive libaisopod.a (-laisopod).
foreach(lib IN LISTS aisopod_package_libraries)
  string(REGEX REPLACE "^aisopod_" "" export_name ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${export_name})
endforeach()
set_target_properties(aisopod_all PROPERTIES EXPORT_NAME aisopod OUTPUT_NAME aisopod)

# Guard for the link order above (and for a library added to a layer but not to the package):
# every aisopod library that a package library links must be in the package, after it.
foreach(lib IN LISTS aisopod_package_libraries)
  list(FIND aisopod_package_libraries ${lib} lib_index)
  get_target_property(deps ${lib} LINK_LIBRARIES)
  foreach(dep IN LISTS deps)
    if(NOT TARGET "${dep}")
      continue()  # a generator expression ($<BUILD_INTERFACE:...>) or a plain -l flag
    endif()
    get_target_property(real ${dep} ALIASED_TARGET)
    if(NOT real)
      set(real ${dep})
    endif()
    if(NOT real MATCHES "^aisopod_" OR real STREQUAL "aisopod_internal_includes")
      continue()
    endif()
    list(FIND aisopod_package_libraries ${real} dep_index)
    if(dep_index LESS_EQUAL lib_index)
      message(FATAL_ERROR "cmake/AisopodInstall.cmake: ${lib} links ${real}, which "
        "aisopod_package_libraries must list after ${lib}")
    endif()
  endforeach()
endforeach()

# A sanitized build installs instrumented archives: the user's program needs the runtimes.
if(AISOPOD_SANITIZE)
  set(aisopod_sanitize_flags -fsanitize=address,undefined)
  target_link_options(aisopod_types INTERFACE $<INSTALL_INTERFACE:${aisopod_sanitize_flags}>)
endif()

install(TARGETS ${aisopod_package_libraries} EXPORT aisopodTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS aisopod RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/aisopod DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")

# The CMake package. aisopodConfig.cmake finds what the exported targets name (see the
# template), then loads aisopodTargets.cmake. 0.x versions: a minor version may break the API.
set(aisopod_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/aisopod)
install(EXPORT aisopodTargets NAMESPACE aisopod:: DESTINATION ${aisopod_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/aisopodConfig.cmake.in
  ${PROJECT_BINARY_DIR}/aisopodConfig.cmake INSTALL_DESTINATION ${aisopod_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/aisopodConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/aisopodConfig.cmake
  ${PROJECT_BINARY_DIR}/aisopodConfigVersion.cmake DESTINATION ${aisopod_cmake_dir})

# aisopod.pc. The archives are static, so what they use goes into Requires and Libs, not the
# .private fields (which `pkg-config --libs` without --static leaves out). Cflags carries
# -std=c++20: the public headers need it, and g++ 12 defaults to C++17 (a later -std wins). Every Debian package
# below ships a .pc (libcurl4-openssl-dev, libsqlite3-dev, libssl-dev, libtomlplusplus-dev,
# libsimdjson-dev, zlib1g-dev); Boost.JSON has none, hence -lboost_json. Boost's headers are in
# /usr/include.
set(AISOPOD_PC_REQUIRES "libcurl sqlite3 libcrypto zlib tomlplusplus")
set(AISOPOD_PC_LIBS "")
foreach(lib IN LISTS aisopod_package_libraries)
  get_target_property(archive ${lib} OUTPUT_NAME)
  if(NOT archive)
    set(archive ${lib})
  endif()
  string(APPEND AISOPOD_PC_LIBS " -l${archive}")
endforeach()
if(aisopod_json_providers)
  string(APPEND AISOPOD_PC_REQUIRES " simdjson")
  string(APPEND AISOPOD_PC_LIBS " -lboost_json")
endif()
string(APPEND AISOPOD_PC_LIBS " -pthread")
if(AISOPOD_SANITIZE)
  string(APPEND AISOPOD_PC_LIBS " ${aisopod_sanitize_flags}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(AISOPOD_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(AISOPOD_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(AISOPOD_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(AISOPOD_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# The prefix is known only at install time (`cmake --install <build> --prefix P`): fill in the
# rest now, keeping the placeholder @AISOPOD_PC_PREFIX@ (set to itself), and the prefix then.
set(AISOPOD_PC_PREFIX "@AISOPOD_PC_PREFIX@")
configure_file(${PROJECT_SOURCE_DIR}/cmake/aisopod.pc.in ${PROJECT_BINARY_DIR}/aisopod.pc.in @ONLY)
install(CODE "
  get_filename_component(AISOPOD_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\" ABSOLUTE)
  configure_file(\"${PROJECT_BINARY_DIR}/aisopod.pc.in\" \"${PROJECT_BINARY_DIR}/aisopod.pc\" @ONLY)
")
install(FILES ${PROJECT_BINARY_DIR}/aisopod.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
