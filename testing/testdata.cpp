#include "testing/testdata.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace aisopod::testing {

std::string testdata_path(const std::string& relative_path) {
  return std::string(AISOPOD_TESTDATA_DIR) + "/" + relative_path;
}

std::string read_testdata(const std::string& relative_path) {
  const std::string path = testdata_path(relative_path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read test data file %s\n", path.c_str());
    std::abort();
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace aisopod::testing
