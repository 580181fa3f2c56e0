#pragma once
// Reads tests/data/optim_reference.txt (made by tests/optim/make_optim_fixtures.py, format
// described there) and rebuilds its optimizers and schedules, for the reference and the
// state-dict tests.
#include <ember/ember.h>
#include <ember/optim/optim.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace optim_test {

struct Record {
  std::string kind;
  std::vector<std::string> f;  // the fields after the kind
};

struct Case {
  std::string name, family, type;
  std::vector<Record> records;
  std::vector<const Record*> all(const std::string& kind) const;
  // arg records as key -> values
  std::map<std::string, std::vector<std::string>> args() const;
  int steps() const;
};

// The parsed fixture; throws std::runtime_error when the file is missing or malformed.
const std::vector<Case>& fixture();
std::vector<const Case*> cases_of(const std::string& family);

double num(const std::string& s);
// <ndim> <dims...> <values...> starting at f[pos], as an f64 tensor.
ember::Tensor parse_tensor(const std::vector<std::string>& f, size_t pos);

// An optimizer case rebuilt: parameters (in `dtype`, requiring grad) and the optimizer.
struct BuiltOptimizer {
  std::vector<ember::Tensor> params;
  std::unique_ptr<ember::optim::Optimizer> opt;
};
BuiltOptimizer build_optimizer(const Case& c, ember::DType dtype = ember::DType::f64);
// Sets each parameter's grad for step s (undefined where the fixture has none).
void set_grads(const Case& c, const BuiltOptimizer& b, int step);

// A schedule case rebuilt: its optimizer (two groups, one parameter each) and the schedule.
struct BuiltSchedule {
  std::vector<ember::Tensor> params;
  std::unique_ptr<ember::optim::Optimizer> opt;
  std::unique_ptr<ember::optim::LRScheduler> sched;          // all but plateau
  std::unique_ptr<ember::optim::ReduceLROnPlateau> plateau;  // reduce_lr_on_plateau
};
BuiltSchedule build_schedule(const Case& c);

// |a - b| <= rel * |b| + abs
bool close(double a, double b, double rel = 1e-12, double abs = 1e-15);

}  // namespace optim_test
