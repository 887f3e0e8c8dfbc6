#include "latent/latent_space.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/input_error.h"
#include "spectrum/eigenvectors.h"

namespace ws {

LatentSpace latent_space(const MatrixView& m, int64_t k, ThreadPool& pool) {
  LatentSpace ls;
  ls.rows = m.rows;
  ls.cols = m.cols;
  ls.k = k;
  const Eigenpairs p = matrix_eigenpairs(m, pool);
  // The numerical rank as matrix_rank counts it (sigma > sigma_max * max(rows, cols) * eps): beyond
  // it, singular vectors are rounding noise (and V = M^T U / sigma would divide by noise).
  const double tol = std::sqrt(p.values.empty() ? 0.0 : p.values.back()) * double(std::max(m.rows, m.cols)) *
                     std::numeric_limits<double>::epsilon();
  const int64_t rank = std::count_if(p.values.begin(), p.values.end(), [&](double v) { return std::sqrt(v) > tol; });
  if (k < 1 || k > rank)
    throw InputError("latent space: K = " + std::to_string(k) + " is not between 1 and the rank " +
                     std::to_string(rank) + " of the " + std::to_string(m.rows) + " x " + std::to_string(m.cols) +
                     " matrix");
  // Eigenpair m-1-j is the j-th largest.
  const auto pair = [&](int64_t j) { return p.m - 1 - j; };
  for (int64_t j = 0; j < k; ++j) ls.singular_values.push_back(std::sqrt(p.values[pair(j)]));
  // The K eigenvectors row by row: uk[i * k + j] = entry i of the j-th.
  std::vector<double> uk(static_cast<size_t>(p.m * k));
  for (int64_t j = 0; j < k; ++j)
    for (int64_t i = 0; i < p.m; ++i) uk[i * k + j] = p.vectors[pair(j) * p.m + i];
  if (!gram_of_rows(m)) {
    ls.components = std::move(uk);  // X = M^T M: the eigenvectors are V itself
  } else {
    // X = M M^T: the eigenvectors are U, and V = M^T U / sigma. Columns in parallel, each element of
    // M converted once.
    ls.components.assign(static_cast<size_t>(m.cols * k), 0.0);
    pool.parallel_for(m.cols, [&](int64_t c0, int64_t c1) {
      for (int64_t r = 0; r < m.rows; ++r)
        for (int64_t c = c0; c < c1; ++c) {
          const double x = m.at(r, c);
          for (int64_t j = 0; j < k; ++j) ls.components[c * k + j] += x * uk[r * k + j];
        }
    });
    for (int64_t c = 0; c < m.cols; ++c)
      for (int64_t j = 0; j < k; ++j) ls.components[c * k + j] /= ls.singular_values[j];
  }
  for (int64_t j = 0; j < k; ++j) {
    int64_t big = 0;
    for (int64_t c = 1; c < m.cols; ++c)
      if (std::abs(ls.components[c * k + j]) > std::abs(ls.components[big * k + j])) big = c;
    if (ls.components[big * k + j] < 0)
      for (int64_t c = 0; c < m.cols; ++c) ls.components[c * k + j] = -ls.components[c * k + j];
  }
  ls.coordinates.assign(static_cast<size_t>(m.rows * k), 0.0);
  pool.parallel_for(m.rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      double* out = ls.coordinates.data() + r * k;
      for (int64_t c = 0; c < m.cols; ++c) {
        const double x = m.at(r, c);
        if (x == 0) continue;  // TF-IDF matrices are mostly zeros
        const double* v = ls.components.data() + c * k;
        for (int64_t j = 0; j < k; ++j) out[j] += x * v[j];
      }
    }
  });
  return ls;
}

LatentSpace layer_latent_space(ModelInput& model, const nlohmann::json& layer, ThreadPool& pool) {
  const std::string name = layer.at("name");
  if (layer.at("type") != "dense")
    throw InputError("layer " + name + " is " + layer.at("type").get<std::string>() +
                     ": the latent space is taken of a 2-D (dense) matrix");
  if (layer.at("status") != "success" || !layer.contains("num_pl_spikes"))
    throw InputError("layer " + name + ": its power-law fit failed, so it has no tail size K");
  const std::string tensor = layer.at("tensor");
  const auto t = std::find_if(model.tensors.begin(), model.tensors.end(),
                              [&](const TensorInfo& x) { return x.name == tensor; });
  if (t == model.tensors.end()) throw InputError("layer " + name + ": tensor " + tensor + " is not in the model");
  const std::vector<uint8_t> data = read_tensor(model, *t);
  MatrixView m;
  m.data = data.data();
  m.dtype = t->dtype;
  m.rows = static_cast<int64_t>(t->shape.at(0));
  m.cols = static_cast<int64_t>(t->shape.at(1));
  m.row_stride = m.cols;
  if (t->transposed) {  // the bytes hold the stored array's transpose in C order
    std::swap(m.rows, m.cols);
    std::swap(m.row_stride, m.col_stride);
  }
  return latent_space(m, layer.at("num_pl_spikes").get<int64_t>(), pool);
}

const nlohmann::json& latent_layer(const nlohmann::json& report, const std::string& name) {
  const nlohmann::json* found = nullptr;
  size_t dense = 0;
  for (const auto& l : report.at("layers")) {
    if (!name.empty() ? l.at("name") == name : l.at("type") == "dense") {
      found = &l;
      ++dense;
    }
  }
  if (!name.empty() && !found) throw InputError("no analyzed layer is named '" + name + "'");
  if (name.empty() && dense != 1)
    throw InputError("the latent space is taken of one 2-D matrix; this model has " + std::to_string(dense) +
                     " analyzed dense layers: name one with --latent-layer");
  return *found;
}

}  // namespace ws
