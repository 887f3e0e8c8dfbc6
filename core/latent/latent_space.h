#pragma once
// The latent space of one matrix (latent semantic analysis, as the 2020 post behind this project
// picks it): for M (rows x cols, e.g. documents x terms) its K leading right singular vectors
// V_K (cols x K) and the rows' coordinates M V_K (rows x K), K = the eigenpairs in the ESD's
// power-law tail (num_pl_spikes). docs/methods.md, "Latent space".
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/model_input.h"
#include "layers/matrix_view.h"
#include "util/thread_pool.h"

namespace ws {

struct LatentSpace {
  int64_t rows = 0, cols = 0, k = 0;
  std::vector<double> singular_values;  // k, descending
  std::vector<double> components;       // cols x k, row-major: components[c * k + j] = V(c, j)
  std::vector<double> coordinates;      // rows x k, row-major: (M V_K)(r, j)
};

// Singular vectors from the eigenvectors of M's smaller Gram matrix (spectrum/eigenvectors.h): V
// directly when M is tall, V = M^T U / sigma when it is wide. Each component's sign is fixed so that
// its largest-magnitude entry (the first of equals) is positive. Throws InputError when k is not
// in 1 .. the numerical rank (singular values above sigma_max * max(rows, cols) * eps).
LatentSpace latent_space(const MatrixView& m, int64_t k, ThreadPool& pool);

// The latent space of an analyzed dense layer: `layer` is its report entry (docs/report-schema.md;
// K = its num_pl_spikes), its tensor is read again from `model`. A .npy stored in Fortran order is
// taken as stored, not as the transpose the spectrum reads. Throws InputError for a layer that is
// not dense or whose fit failed.
LatentSpace layer_latent_space(ModelInput& model, const nlohmann::json& layer, ThreadPool& pool);

// The report's layer for the latent export: the one named `name`, or with "" the only dense layer.
// Throws InputError naming what is missing.
const nlohmann::json& latent_layer(const nlohmann::json& report, const std::string& name);

}  // namespace ws
