#pragma once
// Dense layers too large to hold whole (a 50000 x 15000 F32 layer is 3 GB; the wasm heap is 4 GB):
// the tensor is read in panels of rows of A (A = W, or W^T when W is wide), each panel checked
// (weight_check.h) and added to the Gram matrix, so only the M x M Gram matrix and one panel are
// resident. Panels start at multiples of spectrum::kGramDepth, so the Gram matrix, hence every
// eigenvalue, is the whole-tensor path's to the bit.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "formats/model_input.h"
#include "layers/layer_plan.h"
#include "util/phase_times.h"
#include "util/thread_pool.h"

namespace ws {

// Whether t's layer goes this way: a dense layer stored as its elements (not GGUF blocks or ONNX
// typed fields) of more than 256 MB, whose smaller side exceeds 1024 (there the zero policy never
// needs W), with neither option that needs the matrix itself (vectors: the eigenvector route;
// randomize: the shuffled copy).
bool streams_by_panels(const TensorInfo& t, const LayerPlan& plan, const AnalyzeOptions& opt);

// Rows of A per panel: ~64 MB of stored elements, a multiple of kGramDepth.
int64_t default_panel_rows(const TensorInfo& t, const LayerPlan& plan);

struct StreamedEigenvalues {
  std::vector<double> evals;              // ascending, as pooled_eigenvalues
  std::optional<std::string> skip_reason;  // check_weights' reason; evals are then empty
};

// The layer's eigenvalues from its tensor read panel by panel (panel_rows: rows of A per panel, a
// multiple of kGramDepth). times, when given: read, decode (the check), gram, reduction, tridiagonal.
StreamedEigenvalues streamed_eigenvalues(ModelInput& model, const TensorInfo& t, const LayerPlan& plan,
                                         int64_t panel_rows, ThreadPool& pool, PhaseTimes* times = nullptr);

// The layer's report entry (analyze_layer's, or a skip reason) by streamed_eigenvalues.
struct StreamedLayer {
  nlohmann::json layer;
  std::optional<std::string> skip_reason;
};
StreamedLayer analyze_streamed_layer(ModelInput& model, const TensorInfo& t, const LayerPlan& plan,
                                     const AnalyzeOptions& opt, ThreadPool& pool, int64_t panel_rows = 0);

}  // namespace ws
