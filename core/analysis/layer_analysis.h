#pragma once
// One layer from its raw bytes to its report entry: matrices -> eigenvalues -> fit -> metrics.
#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "formats/tensor_info.h"
#include "layers/layer_plan.h"
#include "util/thread_pool.h"

namespace ws {

// The layer's JSON entry (docs/report-schema.md). Precondition: plan.analyze and the weights
// passed check_weights.
nlohmann::json analyze_layer(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                             const AnalyzeOptions& opt, ThreadPool& pool);

}  // namespace ws
