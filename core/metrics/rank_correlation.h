#pragma once
// Spearman's rank correlation (scipy.stats.spearmanr convention: average ranks for ties, Pearson
// correlation of the ranks).
#include <optional>
#include <vector>

namespace ws {

// Undefined (nullopt) for fewer than 2 pairs or when either side is constant.
std::optional<double> spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace ws
