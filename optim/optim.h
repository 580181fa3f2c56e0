#pragma once
// Everything in ember's optim/: #include <ember/optim/optim.h>
#include "ember/optim/adam.h"
#include "ember/optim/clip.h"
#include "ember/optim/optimizer.h"
#include "ember/optim/schedule.h"
#include "ember/optim/sgd.h"
#include "ember/optim/state_dict.h"
#include "ember/optim/state_file.h"
