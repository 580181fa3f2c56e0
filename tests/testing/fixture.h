#pragma once
// Reading the text fixtures that the PyTorch scripts write (tests/reference/make_fixtures.py
// -> reference.txt, tests/layers/make_layer_fixtures.py -> layers_reference.txt). Both
// formats: one record per line, fields separated by spaces, lines starting with '#' are
// comments; every record starts <case> <kind> <name>, and a tensor record goes on with
// <ndim> <dims...> <values...> (row-major; floats written with %.17g). Which kinds exist,
// which of them hold tensors, and how records group into cases is each format's own
// (tests/reference/test_reference.cpp, tests/layers/layer_fixture.cpp).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ember/ember.h>

namespace ember::testing {

// A whole field as a number; throws std::runtime_error otherwise. strtod rather than
// operator>>: libstdc++ streams reject some values (subnormals).
double parse_double(const std::string& field);
int64_t parse_int(const std::string& field);

// What a tensor record holds after <ndim> <dims...>.
enum class FixtureValues {
  none,      // nothing that is read (shape-only records; any further fields are ignored)
  floating,  // exactly numel floats
  integer,   // exactly numel integers
};

struct FixtureTensor {
  Shape shape;
  std::vector<double> values;    // FixtureValues::floating
  std::vector<int64_t> ivalues;  // FixtureValues::integer
};

// The tensor written from fields[pos] on: <ndim> <dims...> and then the values `values`
// says. Throws std::runtime_error for a missing or negative ndim, missing dims, or a value
// count other than numel.
FixtureTensor parse_tensor_fields(const std::vector<std::string>& fields, size_t pos, FixtureValues values);

// Reads the fixture at `path`: skips empty lines and '#' comments, splits every other line
// into its fields, requires at least <case> <kind> <name>, and passes the fields to
// `record`, in file order. An exception thrown while doing so (by the parsing above or by
// `record`) is rethrown as std::runtime_error "<path>:<line>: <what it said>". Returns false,
// reading nothing, when the file cannot be opened.
bool read_fixture(const std::string& path, const std::function<void(const std::vector<std::string>&)>& record);

}  // namespace ember::testing
