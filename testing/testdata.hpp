// Test data access: files under tests/testdata in this project, never outside it.
#pragma once

#include <string>

namespace aisopod::testing {

// The bytes of tests/testdata/<relative_path>; aborts the test binary with a message naming the
// path when the file cannot be read (a missing fixture is a broken test, not a skip).
std::string read_testdata(const std::string& relative_path);

// The absolute path of tests/testdata/<relative_path>.
std::string testdata_path(const std::string& relative_path);

}  // namespace aisopod::testing
