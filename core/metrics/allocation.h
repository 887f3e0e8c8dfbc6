#pragma once
// Per-layer allocations from a per-layer metric, as AlphaPruning (layer-wise sparsity) and
// TempBalance (learning-rate factors) compute them: docs/plans.md. The plan file around them is
// report/plan.h.
#include <cstdint>
#include <string>
#include <vector>

namespace ws {

// AlphaPruning's ww_sparsity (lib/prune.py): r_i = (m_i - min m) / (max m - min m) * 2 epsilon +
// (1 - epsilon), then ratio_i = r_i * target * sum(P) / sum_j(P_j r_j), so that the P-weighted mean
// of the ratios is target. Never clipped: a ratio can exceed 1. When every m_i is equal (their code
// divides by zero) every ratio is target. metric and params: same size, finite, not empty.
std::vector<double> alphapruning_sparsities(const std::vector<double>& metric, const std::vector<double>& params,
                                            double target, double epsilon);

// AlphaPruning's block_wise mapping: each metric replaced by the mean over the layers of its block
// (block[i] names layer i's block; layers with the same name form one block, wherever they are).
std::vector<double> block_means(const std::vector<double>& metric, const std::vector<std::string>& block);

// The transformer block a tensor belongs to, "" for none: the name up to the first "<c>.<digits>."
// whose component c is layers, layer, h, blk, blocks or block ("model.layers.3.mlp.up_proj.weight"
// -> "model.layers.3", "blk.0.attn_q.weight" -> "blk.0", "transformer.h.11.attn.c_attn.weight" ->
// "transformer.h.11").
std::string transformer_block(const std::string& tensor_name);

// TempBalance's learning-rate factors (tempbalance.py, defaults): the first and the last layer and
// layers with fewer than 50 eigenvalues (all of them, eigs_thresh) are not tuned (factor 1), nor are
// layers without a metric (NaN); the tuned ones get tb_linear_map,
// np.interp(m, [min m, max m], [1 - epsilon, 1 + epsilon]) over the tuned layers (epsilon 0.5 gives
// their lr_min_ratio 0.5, lr_max_ratio 1.5). When every tuned metric is equal (np.interp would give
// 1 + epsilon to all) the factors are 1.
enum class Untuned { No, FirstLayer, LastLayer, FewEigenvalues, NoMetric };
struct TempBalanceFactors {
  std::vector<double> factor;
  std::vector<Untuned> untuned;  // why a layer is not tuned
  bool constant_metric = false;  // some layers are tuned and all their metrics are equal
};
TempBalanceFactors tempbalance_factors(const std::vector<double>& metric, const std::vector<int64_t>& num_evals,
                                       double epsilon);

// A sentence for u (not for No or NoMetric, which the caller words).
std::string untuned_reason(Untuned u, int64_t num_evals);

}  // namespace ws
