#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace ws {

// Model summary over the analyzed layers: the means the field table marks (core/report/fields.cpp:
// the reference's log_norm, alpha, alpha_weighted, log_alpha_norm, log_spectral_norm, stable_rank,
// mp_softrank) over layers whose fit succeeded, plus counts. Unlike the reference, failed fits are
// not averaged in as alpha = -1.
nlohmann::json summarize(const nlohmann::json& layers, size_t num_skipped, size_t num_ignored);

// A finished run's summary (Analysis::report, and merge for the joined shards): summarize() plus the
// run's time, whether every tensor was read, and a lone .npy matrix's latent rank K.
nlohmann::json run_summary(const std::string& model_format, const nlohmann::json& layers, size_t num_skipped,
                           size_t num_ignored, double seconds, bool complete);

// The model distances of a fine-tune (the base option), as weightwatcher's distances() averages
// them: avg_delta_W and avg_delta_b over every layer compared, the analyzed ones and the unchanged
// ones (skipped entries with delta_W = 0); a layer without a bias pair counts delta_b = 0, as there.
// Empty when no entry has delta_W.
nlohmann::json distance_means(const nlohmann::json& layers, const nlohmann::json& skipped);

}  // namespace ws
