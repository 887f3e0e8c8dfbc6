#pragma once
// weightwatcher's distances(base, ft) with its default method 'raw': per layer ||W_base - W_ft||_F
// of the raw tensors and the same for the biases, and their means (docs/methods.md, "Distances").
// No eigenvalues: the `weightscope distances` command. An analysis with a base writes the same
// numbers into its layers and summary.
#include <nlohmann/json.hpp>

#include "layers/base_pairing.h"
#include "layers/layer_plan.h"

namespace ws {

// {"base": {"files"}, "model": {"files"}, "avg_delta_W", "avg_delta_b", "layers": [{"index", "name", "tensor",
// "N", "M", "delta_W", "delta_b"}], "skipped": [skipped entries]} over ft's layers that pass the gates of
// opt (weightwatcher's distances() takes the layers its analyze() would), in model order. A layer
// without a base partner of the same shape is a skipped entry with the reason; the two tensors of a
// layer are read one after the other, and only they are resident.
nlohmann::json model_distances(BaseModel& base, ModelInput& ft, const LayerOptions& opt);

}  // namespace ws
