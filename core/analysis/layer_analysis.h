#pragma once
// One layer from its raw bytes to its report entry: matrices -> eigenvalues -> fit -> metrics.
#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "formats/tensor_info.h"
#include "layers/layer_plan.h"
#include "util/phase_times.h"
#include "util/thread_pool.h"

namespace ws {

// The layer's JSON entry (docs/report-schema.md). Precondition: plan.analyze and the weights
// passed check_weights. times: the phases its caller timed (read, decode); with opt.timings the
// entry's "timings" adds this function's own.
nlohmann::json analyze_layer(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                             const AnalyzeOptions& opt, ThreadPool& pool, PhaseTimes times = {});

// A layer's eigenvector fields on demand (for a layer analyzed without the vectors option): the 12
// vector columns, the tail being its top num_tail eigenvectors (all when the fit failed), and
// "spectra" holding only the per-eigenvector arrays; the same values analyze_layer writes with
// opt.vectors. Same precondition as analyze_layer.
nlohmann::json layer_vector_fields(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                                   const AnalyzeOptions& opt, size_t num_tail, ThreadPool& pool);

}  // namespace ws
