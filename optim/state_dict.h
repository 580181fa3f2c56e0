#pragma once
// StateDict: the flat, named form in which optimizers and LR schedules hand out and take back
// their state for checkpoints. Three plain maps so that a checkpoint writer needs no knowledge
// of any optimizer: it stores each tensor, number and string under its key and gives the same
// maps back to load_state_dict().
//
// Keys used by Optimizer (i is a parameter's position when all groups' params are laid end to
// end, in group order, as PyTorch numbers them; g is a group's index):
//   strings["type"]                         "sgd", "adam" or "adamw"
//   scalars["num_groups"]
//   scalars["param_groups.<g>.num_params"]
//   scalars["param_groups.<g>.<hyper>"]     lr, initial_lr, weight_decay, momentum, dampening,
//                                           nesterov, beta1, beta2, eps, amsgrad (bools as 0/1;
//                                           only the ones the optimizer uses, plus initial_lr
//                                           once a schedule has set it)
//   tensors["state.<i>.<name>"]             per-parameter buffers (momentum_buffer; exp_avg,
//                                           exp_avg_sq, max_exp_avg_sq)
//   scalars["state.<i>.<name>"]             per-parameter numbers (Adam's step)
// Keys used by the schedules are listed in schedule.h.
#include <map>
#include <string>

#include "ember/core/tensor.h"

namespace ember::optim {

struct StateDict {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, double> scalars;
  std::map<std::string, std::string> strings;
};

}  // namespace ember::optim
