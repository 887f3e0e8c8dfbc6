#pragma once
// One layer from its raw bytes to its report entry: matrices -> eigenvalues -> fit -> metrics.
#include <vector>

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

// The entry of a layer known by its eigenvalues (ascending) rather than its matrix: a LoRA update's
// nonzero ones (analysis/lora_analysis.h). analyze_layer's fields from them, without those that need
// the matrix (randomize, vectors); mp_fit as opt says. t and plan give the identity fields; the fits
// run on pool.
nlohmann::json analyze_eigenvalues(const std::vector<double>& evals, const TensorInfo& t, const LayerPlan& plan,
                                   const AnalyzeOptions& opt, ThreadPool& pool);

// A layer's "timings" entry (the timings option).
nlohmann::json timings_json(const PhaseTimes& t);

// A layer's eigenvector fields on demand (for a layer analyzed without the vectors option): the 12
// vector columns, the tail being its top num_tail eigenvectors (all when the fit failed), and
// "spectra" holding only the per-eigenvector arrays; the same values analyze_layer writes with
// opt.vectors. Same precondition as analyze_layer.
nlohmann::json layer_vector_fields(const uint8_t* data, const TensorInfo& t, const LayerPlan& plan,
                                   const AnalyzeOptions& opt, size_t num_tail, ThreadPool& pool);

}  // namespace ws
