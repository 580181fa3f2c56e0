#include "testing/fixture.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ember::testing {

double parse_double(const std::string& field) {
  char* end = nullptr;
  const double v = std::strtod(field.c_str(), &end);
  if (end == field.c_str() || *end != '\0') throw std::runtime_error("bad number '" + field + "'");
  return v;
}

int64_t parse_int(const std::string& field) {
  char* end = nullptr;
  const long long v = std::strtoll(field.c_str(), &end, 10);
  if (end == field.c_str() || *end != '\0') throw std::runtime_error("bad integer '" + field + "'");
  return static_cast<int64_t>(v);
}

FixtureTensor parse_tensor_fields(const std::vector<std::string>& fields, size_t pos, FixtureValues values) {
  FixtureTensor t;
  if (pos >= fields.size()) throw std::runtime_error("missing ndim");
  const int64_t ndim = parse_int(fields[pos++]);
  if (ndim < 0 || pos + static_cast<size_t>(ndim) > fields.size()) throw std::runtime_error("bad ndim");
  int64_t n = 1;
  for (int64_t d = 0; d < ndim; ++d) {
    t.shape.push_back(parse_int(fields[pos++]));
    n *= t.shape.back();
  }
  if (values == FixtureValues::none) return t;
  if (fields.size() - pos != static_cast<size_t>(n))
    throw std::runtime_error("expected " + std::to_string(n) + " values, found " + std::to_string(fields.size() - pos));
  for (; pos < fields.size(); ++pos) {
    if (values == FixtureValues::integer)
      t.ivalues.push_back(parse_int(fields[pos]));
    else
      t.values.push_back(parse_double(fields[pos]));
  }
  return t;
}

bool read_fixture(const std::string& path, const std::function<void(const std::vector<std::string>&)>& record) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  int lineno = 0;
  try {
    while (std::getline(in, line)) {
      ++lineno;
      if (line.empty() || line[0] == '#') continue;
      std::istringstream ss(line);
      std::vector<std::string> fields;
      for (std::string f; ss >> f;) fields.push_back(f);
      if (fields.size() < 3)
        throw std::runtime_error("expected <case> <kind> <name>, found " + std::to_string(fields.size()) + " fields");
      record(fields);
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ":" + std::to_string(lineno) + ": " + e.what());
  }
  return true;
}

}  // namespace ember::testing
