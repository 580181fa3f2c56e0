#pragma once
// Everything in ember's data library: #include <ember/data/data.h>
#include "ember/data/cifar.h"
#include "ember/data/csv.h"
#include "ember/data/dataset.h"
#include "ember/data/idx.h"
#include "ember/data/image_folder.h"
#include "ember/data/image_io.h"
#include "ember/data/loader.h"
#include "ember/data/split.h"
#include "ember/data/transforms.h"
