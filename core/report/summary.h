#pragma once
#include <nlohmann/json.hpp>

namespace ws {

// Model summary over the analyzed layers: the means the field table marks (core/report/fields.cpp:
// the reference's log_norm, alpha, alpha_weighted, log_alpha_norm, log_spectral_norm, stable_rank,
// mp_softrank) over layers whose fit succeeded, plus counts. Unlike the reference, failed fits are
// not averaged in as alpha = -1.
nlohmann::json summarize(const nlohmann::json& layers, size_t num_skipped, size_t num_ignored);

}  // namespace ws
