#pragma once
// Everything in ember's metrics library: #include <ember/metrics/metrics.h>
#include "ember/metrics/boxes.h"
#include "ember/metrics/classification.h"
#include "ember/metrics/early_stopping.h"
#include "ember/metrics/logger.h"
#include "ember/metrics/progress.h"
#include "ember/metrics/regression.h"
#include "ember/metrics/report.h"
#include "ember/metrics/summary_writer.h"
