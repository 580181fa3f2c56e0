// Reference values from PyTorch for losses, the softmax family, var/std and a few composite
// expressions: forward outputs and gradients. The fixture tests/data/reference.txt is made by
// tests/reference/make_fixtures.py (format described there); this file needs no Python.
// Every case runs in f64 (tight tolerance) and in f32 (inputs rounded to f32, loose tolerance).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <ember/ember.h>

namespace {

const char* const kFixturePath = EMBER_TEST_DATA_DIR "/reference.txt";

// ------------------------------------------------------------------------------ fixture

struct Record {
  std::string kind;  // in, const, idx, gout, out, grad
  std::string name;
  ember::Shape shape;
  std::vector<double> values;   // float records
  std::vector<int64_t> ivalues; // idx records
};

struct Case {
  std::string name;
  std::string op;
  std::map<std::string, std::string> params;
  std::vector<Record> inputs;  // in, const and idx, in fixture order
  std::optional<Record> gout;
  std::optional<Record> out;
  std::vector<Record> grads;
};

struct Fixture {
  bool found = false;
  std::string error;  // empty when the fixture parsed
  std::vector<Case> cases;
  const Case* find(const std::string& name) const {
    for (const auto& c : cases)
      if (c.name == name) return &c;
    return nullptr;
  }
};

double parse_double(const std::string& tok) {
  // strtod rather than operator>>: libstdc++ streams reject some values (subnormals).
  char* end = nullptr;
  double v = std::strtod(tok.c_str(), &end);
  if (end == tok.c_str() || *end != '\0') throw std::runtime_error("bad number '" + tok + "'");
  return v;
}

int64_t parse_int(const std::string& tok) {
  char* end = nullptr;
  long long v = std::strtoll(tok.c_str(), &end, 10);
  if (end == tok.c_str() || *end != '\0') throw std::runtime_error("bad integer '" + tok + "'");
  return static_cast<int64_t>(v);
}

Record parse_tensor_record(const std::string& kind, const std::string& name,
                           const std::vector<std::string>& tok, size_t pos) {
  Record r;
  r.kind = kind;
  r.name = name;
  if (pos >= tok.size()) throw std::runtime_error("missing ndim");
  int64_t ndim = parse_int(tok[pos++]);
  if (ndim < 0 || pos + static_cast<size_t>(ndim) > tok.size())
    throw std::runtime_error("bad ndim");
  int64_t n = 1;
  for (int64_t i = 0; i < ndim; ++i) {
    r.shape.push_back(parse_int(tok[pos++]));
    n *= r.shape.back();
  }
  if (tok.size() - pos != static_cast<size_t>(n))
    throw std::runtime_error("expected " + std::to_string(n) + " values, found " +
                             std::to_string(tok.size() - pos));
  for (; pos < tok.size(); ++pos) {
    if (kind == "idx")
      r.ivalues.push_back(parse_int(tok[pos]));
    else
      r.values.push_back(parse_double(tok[pos]));
  }
  return r;
}

Fixture load_fixture() {
  Fixture fx;
  std::ifstream in(kFixturePath);
  if (!in) {
    fx.error = std::string("reference fixture not found at ") + kFixturePath +
               " (regenerate it with: /usr/bin/python3 tests/reference/make_fixtures.py)";
    return fx;
  }
  fx.found = true;
  std::string line;
  int lineno = 0;
  try {
    while (std::getline(in, line)) {
      ++lineno;
      if (line.empty() || line[0] == '#') continue;
      std::istringstream ss(line);
      std::vector<std::string> tok;
      for (std::string t; ss >> t;) tok.push_back(t);
      if (tok.size() < 3) throw std::runtime_error("too few fields");
      const std::string& cname = tok[0];
      const std::string& kind = tok[1];
      if (kind == "op") {
        if (fx.find(cname)) throw std::runtime_error("duplicate case '" + cname + "'");
        Case c;
        c.name = cname;
        c.op = tok[2];
        fx.cases.push_back(std::move(c));
        continue;
      }
      if (fx.cases.empty() || fx.cases.back().name != cname)
        throw std::runtime_error("record for case '" + cname + "' outside its case");
      Case& c = fx.cases.back();
      if (kind == "param") {
        if (tok.size() != 4) throw std::runtime_error("param needs a key and a value");
        c.params[tok[2]] = tok[3];
      } else if (kind == "in" || kind == "const" || kind == "idx") {
        c.inputs.push_back(parse_tensor_record(kind, tok[2], tok, 3));
      } else if (kind == "gout") {
        c.gout = parse_tensor_record(kind, tok[2], tok, 3);
      } else if (kind == "out") {
        c.out = parse_tensor_record(kind, tok[2], tok, 3);
      } else if (kind == "grad") {
        c.grads.push_back(parse_tensor_record(kind, tok[2], tok, 3));
      } else {
        throw std::runtime_error("unknown record kind '" + kind + "'");
      }
    }
    for (const auto& c : fx.cases)
      if (!c.out) throw std::runtime_error("case '" + c.name + "' has no out record");
  } catch (const std::exception& e) {
    fx.error = std::string(kFixturePath) + ":" + std::to_string(lineno) + ": " + e.what();
    fx.cases.clear();
  }
  return fx;
}

const Fixture& fixture() {
  static const Fixture fx = load_fixture();
  return fx;
}

// ------------------------------------------------------------------------------ ops

struct Args {
  const Case& c;
  std::map<std::string, ember::Tensor> t;

  const ember::Tensor& operator[](const std::string& name) const {
    auto it = t.find(name);
    if (it == t.end())
      throw std::runtime_error("case '" + c.name + "': no input named '" + name + "'");
    return it->second;
  }
  bool has(const std::string& name) const { return t.count(name) != 0; }
  std::string param(const std::string& key, const std::string& fallback = "") const {
    auto it = c.params.find(key);
    if (it != c.params.end()) return it->second;
    if (!fallback.empty()) return fallback;
    throw std::runtime_error("case '" + c.name + "': no param '" + key + "'");
  }
  double pdouble(const std::string& key, double fallback) const {
    auto it = c.params.find(key);
    return it == c.params.end() ? fallback : parse_double(it->second);
  }
  int64_t pint(const std::string& key) const { return parse_int(param(key)); }
  int64_t pint(const std::string& key, int64_t fallback) const {
    auto it = c.params.find(key);
    return it == c.params.end() ? fallback : parse_int(it->second);
  }
  ember::Reduction reduction() const {
    const std::string r = param("reduction", "mean");
    if (r == "mean") return ember::Reduction::mean;
    if (r == "sum") return ember::Reduction::sum;
    if (r == "none") return ember::Reduction::none;
    throw std::runtime_error("case '" + c.name + "': unknown reduction '" + r + "'");
  }
  std::vector<int64_t> dims() const {
    const std::string d = param("dim");
    if (d == "all") return {};
    return {parse_int(d)};
  }
};

using OpFn = std::function<ember::Tensor(const Args&)>;

const std::map<std::string, OpFn>& ops() {
  static const std::map<std::string, OpFn> table = {
      {"cross_entropy",
       [](const Args& a) {
         return ember::cross_entropy(a["x"], a["t"], a.reduction(), a.pdouble("label_smoothing", 0.0),
                                     a.pint("ignore_index", -100));
       }},
      {"nll_loss",
       [](const Args& a) {
         return ember::nll_loss(a["x"], a["t"], a.reduction(), a.pint("ignore_index", -100));
       }},
      {"mse_loss", [](const Args& a) { return ember::mse_loss(a["input"], a["target"], a.reduction()); }},
      {"l1_loss", [](const Args& a) { return ember::l1_loss(a["input"], a["target"], a.reduction()); }},
      {"smooth_l1_loss",
       [](const Args& a) {
         return ember::smooth_l1_loss(a["input"], a["target"], a.reduction(), a.pdouble("beta", 1.0));
       }},
      {"bce_with_logits",
       [](const Args& a) {
         return ember::binary_cross_entropy_with_logits(
             a["x"], a["y"], a.reduction(), a.has("pos_weight") ? a["pos_weight"] : ember::Tensor());
       }},
      {"softmax", [](const Args& a) { return ember::softmax(a["x"], a.pint("dim")); }},
      {"log_softmax", [](const Args& a) { return ember::log_softmax(a["x"], a.pint("dim")); }},
      {"var",
       [](const Args& a) {
         return ember::var(a["x"], a.dims(), a.pint("correction"), a.pint("keepdim") != 0);
       }},
      {"std",
       [](const Args& a) {
         return ember::std(a["x"], a.dims(), a.pint("correction"), a.pint("keepdim") != 0);
       }},
      {"matmul", [](const Args& a) { return ember::matmul(a["A"], a["B"]); }},
      // (tanh(a @ b) + sigmoid(c)).sum()
      {"comp_tanh_mm_sigmoid_sum",
       [](const Args& a) {
         return (ember::tanh(ember::matmul(a["a"], a["b"])) + ember::sigmoid(a["c"])).sum();
       }},
      // (gelu(x) * exp(-x**2)).mean()
      {"comp_gelu_gauss_mean",
       [](const Args& a) {
         const ember::Tensor& x = a["x"];
         return (ember::gelu(x) * ember::exp(-ember::pow(x, 2.0))).mean();
       }},
      // log_softmax(linear(x, W, b), 1).gather(1, idx).mean()
      {"comp_linear_logsoftmax_gather",
       [](const Args& a) {
         ember::Tensor z = ember::log_softmax(ember::linear(a["x"], a["W"], a["b"]), 1);
         return ember::gather(z, 1, a["idx"]).mean();
       }},
      // (((x - mean(x,1)) / sqrt(var(x,1,correction 0) + 1e-5)) * g + b).pow(2).sum()
      {"comp_layernorm_like",
       [](const Args& a) {
         const ember::Tensor& x = a["x"];
         ember::Tensor centered = x - ember::mean(x, {1}, true);
         ember::Tensor denom = ember::sqrt(ember::var(x, {1}, 0, true) + 1e-5);
         return ((centered / denom) * a["g"] + a["b"]).pow(2.0).sum();
       }},
      // mse_loss(softmax(x, 1), y)
      {"comp_softmax_mse",
       [](const Args& a) { return ember::mse_loss(ember::softmax(a["x"], 1), a["y"]); }},
  };
  return table;
}

// ------------------------------------------------------------------------------ comparison

struct Tolerance {
  double rtol;
  double atol;  // scaled by max(1, max |expected|) of the tensor compared
};

std::string index_str(int64_t flat, const ember::Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    idx[i] = shape[i] == 0 ? 0 : flat % shape[i];
    flat = shape[i] == 0 ? 0 : flat / shape[i];
  }
  std::string s = "[";
  for (size_t i = 0; i < idx.size(); ++i) s += (i ? "," : "") + std::to_string(idx[i]);
  return s + "]";
}

::testing::AssertionResult compare(const std::string& what, const ember::Tensor& got_t,
                                   const Record& expected, Tolerance tol) {
  if (got_t.shape() != expected.shape)
    return ::testing::AssertionFailure()
           << what << ": shape " << ember::shape_str(got_t.shape()) << ", expected "
           << ember::shape_str(expected.shape);
  std::vector<double> got = got_t.to(ember::DType::f64).to_vector<double>();
  double scale = 1.0;
  for (double v : expected.values) scale = std::max(scale, std::abs(v));
  const double atol = tol.atol * scale;
  int64_t first = -1, bad = 0;
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = expected.values[i];
    const double d = std::abs(got[i] - e);
    const bool ok = std::isfinite(got[i]) && d <= atol + tol.rtol * std::abs(e);
    if (!ok) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++bad;
      worst = std::max(worst, std::isfinite(d) ? d : INFINITY);
    }
  }
  if (first < 0) return ::testing::AssertionSuccess();
  const double e = expected.values[first];
  char buf[512];
  std::snprintf(buf, sizeof buf,
                ": first mismatch at flat index %lld %s: got %.17g, expected %.17g "
                "(|diff| %.3g, allowed %.3g); %lld of %zu elements differ, worst |diff| %.3g",
                static_cast<long long>(first), index_str(first, expected.shape).c_str(), got[first],
                e, std::abs(got[first] - e), atol + tol.rtol * std::abs(e),
                static_cast<long long>(bad), got.size(), worst);
  return ::testing::AssertionFailure() << what << buf;
}

ember::Tensor make_float(const Record& r, ember::DType dt) {
  if (dt == ember::DType::f64) return ember::from_vector<double>(r.values, r.shape);
  std::vector<float> f(r.values.begin(), r.values.end());
  return ember::from_vector<float>(f, r.shape);
}

// ------------------------------------------------------------------------------ tests

TEST(Reference, FixtureLoadsAndCoversEveryOp) {
  const Fixture& fx = fixture();
  ASSERT_TRUE(fx.found) << fx.error;
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  ASSERT_GE(fx.cases.size(), 60u) << "fixture " << kFixturePath << " holds too few cases";
  std::set<std::string> seen;
  for (const auto& c : fx.cases) {
    EXPECT_TRUE(ops().count(c.op)) << "case '" << c.name << "' names unknown op '" << c.op << "'";
    seen.insert(c.op);
  }
  for (const auto& [op, fn] : ops()) EXPECT_TRUE(seen.count(op)) << "no fixture case for op " << op;
}

using Param = std::tuple<std::string, std::string>;  // case name, "f64" or "f32"

class ReferenceCase : public ::testing::TestWithParam<Param> {};

TEST_P(ReferenceCase, ForwardAndGradients) {
  const auto& [case_name, dtype_name] = GetParam();
  const Fixture& fx = fixture();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  const Case* cp = fx.find(case_name);
  ASSERT_NE(cp, nullptr) << "case '" << case_name << "' vanished from the fixture";
  const Case& c = *cp;
  const bool f64 = dtype_name == "f64";
  const ember::DType dt = f64 ? ember::DType::f64 : ember::DType::f32;
  const Tolerance tol = f64 ? Tolerance{1e-10, 1e-12} : Tolerance{1e-5, 2e-6};
  const std::string where = "case '" + c.name + "' (" + dtype_name + ", op " + c.op + ")";

  auto op_it = ops().find(c.op);
  ASSERT_NE(op_it, ops().end()) << where << ": unknown op";

  Args args{c, {}};
  std::map<std::string, ember::Tensor> leaves;
  for (const Record& r : c.inputs) {
    ember::Tensor t = r.kind == "idx" ? ember::from_vector<int64_t>(r.ivalues, r.shape)
                                      : make_float(r, dt);
    if (r.kind == "in") {
      t.requires_grad_(true);
      leaves[r.name] = t;
    }
    args.t[r.name] = t;
  }

  ember::Tensor out;
  try {
    out = op_it->second(args);
  } catch (const std::exception& e) {
    FAIL() << where << ": forward threw: " << e.what();
  }
  ASSERT_TRUE(out.defined()) << where << ": forward returned an undefined tensor";
  EXPECT_EQ(out.dtype(), dt) << where << ": output dtype";
  EXPECT_TRUE(compare(where + " forward output", out, *c.out, tol));

  try {
    if (c.gout)
      out.backward(make_float(*c.gout, dt));
    else
      out.backward();
  } catch (const std::exception& e) {
    FAIL() << where << ": backward threw: " << e.what();
  }
  for (const Record& g : c.grads) {
    auto it = leaves.find(g.name);
    ASSERT_NE(it, leaves.end()) << where << ": gradient for unknown input '" << g.name << "'";
    ember::Tensor grad = it->second.grad();
    if (!grad.defined()) {
      ADD_FAILURE() << where << ": no gradient reached input '" << g.name << "'";
      continue;
    }
    EXPECT_EQ(grad.dtype(), dt) << where << ": dtype of gradient w.r.t. '" << g.name << "'";
    EXPECT_TRUE(compare(where + " gradient w.r.t. '" + g.name + "'", grad, g, tol));
  }
}

std::vector<Param> all_params() {
  std::vector<Param> p;
  for (const auto& c : fixture().cases) {
    p.emplace_back(c.name, "f64");
    p.emplace_back(c.name, "f32");
  }
  return p;
}

INSTANTIATE_TEST_SUITE_P(PyTorch, ReferenceCase, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });
// With no fixture the suite has no instances; FixtureLoadsAndCoversEveryOp says why.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ReferenceCase);

}  // namespace
