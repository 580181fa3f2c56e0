#include "optim/fixture.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace optim_test {

using namespace ember;
using namespace ember::optim;

std::vector<const Record*> Case::all(const std::string& kind) const {
  std::vector<const Record*> out;
  for (const auto& r : records)
    if (r.kind == kind) out.push_back(&r);
  return out;
}

std::map<std::string, std::vector<std::string>> Case::args() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const Record* r : all("arg"))
    out[r->f.at(0)] = std::vector<std::string>(r->f.begin() + 1, r->f.end());
  return out;
}

int Case::steps() const {
  auto s = all("steps");
  if (s.size() != 1) throw std::runtime_error(name + ": expected one steps record");
  return static_cast<int>(num(s[0]->f.at(0)));
}

double num(const std::string& s) {
  if (s == "inf") return std::numeric_limits<double>::infinity();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') throw std::runtime_error("bad number '" + s + "'");
  return v;
}

Tensor parse_tensor(const std::vector<std::string>& f, size_t pos) {
  const auto ndim = static_cast<size_t>(num(f.at(pos++)));
  Shape shape;
  for (size_t d = 0; d < ndim; ++d) shape.push_back(static_cast<int64_t>(num(f.at(pos++))));
  std::vector<double> vals;
  for (; pos < f.size(); ++pos) vals.push_back(num(f[pos]));
  return from_vector<double>(vals, shape);
}

namespace {

std::vector<Case> load() {
  const std::string path = EMBER_TEST_DATA_DIR "/optim_reference.txt";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string name, kind, tok;
    ss >> name >> kind;
    Record r{kind, {}};
    while (ss >> tok) r.f.push_back(tok);
    if (kind == "case") {
      cases.push_back(Case{name, r.f.at(0), r.f.at(1), {}});
      continue;
    }
    if (cases.empty() || cases.back().name != name)
      throw std::runtime_error("record outside its case: " + line);
    cases.back().records.push_back(std::move(r));
  }
  return cases;
}

// option/group records -> a ParamGroup holding just the hyperparameters.
void set_hyper(ParamGroup& g, const std::string& k, double v) {
  if (k == "lr")
    g.lr = v;
  else if (k == "momentum")
    g.momentum = v;
  else if (k == "dampening")
    g.dampening = v;
  else if (k == "weight_decay")
    g.weight_decay = v;
  else if (k == "nesterov")
    g.nesterov = v != 0.0;
  else if (k == "eps")
    g.eps = v;
  else if (k == "amsgrad")
    g.amsgrad = v != 0.0;
  else if (k == "beta1")
    g.betas = std::pair{v, g.betas ? g.betas->second : 0.999};
  else if (k == "beta2")
    g.betas = std::pair{g.betas ? g.betas->first : 0.9, v};
  else
    throw std::runtime_error("unknown hyperparameter " + k);
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& type, std::vector<ParamGroup> groups,
                                          const ParamGroup& o) {
  if (type == "sgd") {
    SGDOptions so;
    if (o.lr) so.lr = *o.lr;
    if (o.momentum) so.momentum = *o.momentum;
    if (o.dampening) so.dampening = *o.dampening;
    if (o.weight_decay) so.weight_decay = *o.weight_decay;
    if (o.nesterov) so.nesterov = *o.nesterov;
    return std::make_unique<SGD>(std::move(groups), so);
  }
  if (type == "adam") {
    AdamOptions ao;
    if (o.lr) ao.lr = *o.lr;
    if (o.betas) ao.betas = *o.betas;
    if (o.eps) ao.eps = *o.eps;
    if (o.weight_decay) ao.weight_decay = *o.weight_decay;
    if (o.amsgrad) ao.amsgrad = *o.amsgrad;
    return std::make_unique<Adam>(std::move(groups), ao);
  }
  if (type == "adamw") {
    AdamWOptions ao;
    if (o.lr) ao.lr = *o.lr;
    if (o.betas) ao.betas = *o.betas;
    if (o.eps) ao.eps = *o.eps;
    if (o.weight_decay) ao.weight_decay = *o.weight_decay;
    if (o.amsgrad) ao.amsgrad = *o.amsgrad;
    return std::make_unique<AdamW>(std::move(groups), ao);
  }
  throw std::runtime_error("unknown optimizer " + type);
}

ParamGroup options_of(const Case& c) {
  ParamGroup o;
  for (const Record* r : c.all("option")) set_hyper(o, r->f.at(0), num(r->f.at(1)));
  return o;
}

std::vector<ParamGroup> group_overrides(const Case& c) {
  std::vector<ParamGroup> groups;
  for (const Record* r : c.all("group")) {
    const auto g = static_cast<size_t>(num(r->f.at(0)));
    if (groups.size() <= g) groups.resize(g + 1);
    set_hyper(groups[g], r->f.at(1), num(r->f.at(2)));
  }
  return groups;
}

std::unique_ptr<LRScheduler> make_schedule(const std::string& type, Optimizer& opt,
                                           const std::map<std::string, std::vector<std::string>>& a,
                                           const std::string& prefix) {
  auto arg = [&](const std::string& k) { return num(a.at(prefix + k).at(0)); };
  auto has = [&](const std::string& k) { return a.count(prefix + k) > 0; };
  if (type == "step_lr")
    return std::make_unique<StepLR>(opt, static_cast<int64_t>(arg("step_size")), arg("gamma"));
  if (type == "multi_step_lr") {
    std::vector<int64_t> ms;
    for (const auto& s : a.at(prefix + "milestones")) ms.push_back(static_cast<int64_t>(num(s)));
    return std::make_unique<MultiStepLR>(opt, ms, arg("gamma"));
  }
  if (type == "exponential_lr") return std::make_unique<ExponentialLR>(opt, arg("gamma"));
  if (type == "cosine_annealing_lr")
    return std::make_unique<CosineAnnealingLR>(opt, static_cast<int64_t>(arg("t_max")),
                                               arg("eta_min"));
  if (type == "none") return nullptr;
  if (type == "linear_warmup") {
    const std::string after = a.at("after").at(0);
    auto inner = make_schedule(after, opt, a, "after.");
    return std::make_unique<LinearWarmup>(
        opt, std::move(inner), static_cast<int64_t>(arg("warmup_steps")), arg("start_factor"));
  }
  if (type == "one_cycle_lr") {
    OneCycleOptions o;
    if (has("pct_start")) o.pct_start = arg("pct_start");
    if (has("anneal") && a.at("anneal").at(0) == "linear")
      o.anneal = OneCycleOptions::Anneal::linear;
    if (has("three_phase")) o.three_phase = arg("three_phase") != 0.0;
    if (has("cycle_momentum")) o.cycle_momentum = arg("cycle_momentum") != 0.0;
    if (has("base_momentum")) o.base_momentum = arg("base_momentum");
    if (has("max_momentum")) o.max_momentum = arg("max_momentum");
    if (has("div_factor")) o.div_factor = arg("div_factor");
    if (has("final_div_factor")) o.final_div_factor = arg("final_div_factor");
    const auto total = static_cast<int64_t>(arg("total_steps"));
    if (has("max_lrs")) {
      std::vector<double> m;
      for (const auto& s : a.at("max_lrs")) m.push_back(num(s));
      return std::make_unique<OneCycleLR>(opt, m, total, o);
    }
    return std::make_unique<OneCycleLR>(opt, arg("max_lr"), total, o);
  }
  throw std::runtime_error("unknown schedule " + type);
}

}  // namespace

const std::vector<Case>& fixture() {
  static const std::vector<Case> cases = load();
  return cases;
}

std::vector<const Case*> cases_of(const std::string& family) {
  std::vector<const Case*> out;
  for (const auto& c : fixture())
    if (c.family == family) out.push_back(&c);
  return out;
}

BuiltOptimizer build_optimizer(const Case& c, DType dtype) {
  BuiltOptimizer b;
  std::vector<ParamGroup> groups = group_overrides(c);
  for (const Record* r : c.all("param")) {
    const auto i = static_cast<size_t>(num(r->f.at(0)));
    const auto g = static_cast<size_t>(num(r->f.at(1)));
    if (i != b.params.size()) throw std::runtime_error(c.name + ": params out of order");
    b.params.push_back(parse_tensor(r->f, 2).to(dtype).requires_grad_());
    if (groups.size() <= g) groups.resize(g + 1);
    groups[g].params.push_back(b.params.back());
  }
  b.opt = make_optimizer(c.type, std::move(groups), options_of(c));
  return b;
}

void set_grads(const Case& c, const BuiltOptimizer& b, int step) {
  for (Tensor p : b.params) p.zero_grad();
  for (const Record* r : c.all("grad")) {
    if (static_cast<int>(num(r->f.at(0))) != step) continue;
    const auto i = static_cast<size_t>(num(r->f.at(1)));
    Tensor p = b.params.at(i);
    p.set_grad(parse_tensor(r->f, 2).to(p.dtype()));
  }
}

BuiltSchedule build_schedule(const Case& c) {
  BuiltSchedule b;
  const auto a = c.args();
  std::vector<ParamGroup> groups = group_overrides(c);
  for (auto& g : groups) {
    b.params.push_back(zeros({1}, DType::f64).requires_grad_());
    g.params = {b.params.back()};
  }
  b.opt = make_optimizer(a.at("optimizer").at(0), std::move(groups), options_of(c));
  if (c.type == "reduce_lr_on_plateau") {
    PlateauOptions o;
    o.mode = a.at("mode").at(0) == "max" ? PlateauOptions::Mode::max : PlateauOptions::Mode::min;
    o.threshold_mode = a.at("threshold_mode").at(0) == "abs" ? PlateauOptions::ThresholdMode::abs
                                                             : PlateauOptions::ThresholdMode::rel;
    o.factor = num(a.at("factor").at(0));
    o.patience = static_cast<int64_t>(num(a.at("patience").at(0)));
    o.threshold = num(a.at("threshold").at(0));
    o.cooldown = static_cast<int64_t>(num(a.at("cooldown").at(0)));
    if (a.count("min_lr")) o.min_lr = num(a.at("min_lr").at(0));
    if (a.count("min_lrs"))
      for (const auto& s : a.at("min_lrs")) o.min_lrs.push_back(num(s));
    b.plateau = std::make_unique<ReduceLROnPlateau>(*b.opt, o);
  } else {
    b.sched = make_schedule(c.type, *b.opt, a, "");
  }
  return b;
}

bool close(double a, double b, double rel, double abs) {
  return std::fabs(a - b) <= rel * std::fabs(b) + abs;
}

}  // namespace optim_test
