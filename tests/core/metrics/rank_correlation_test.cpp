// Spearman's rho against closed forms and a hand-computed case with ties.
#include <catch2/catch.hpp>

#include <cmath>

#include "metrics/rank_correlation.h"

TEST_CASE("spearman: monotone, reversed, ties, undefined", "[metrics]") {
  CHECK(*ws::spearman({1, 2, 3, 4}, {10, 20, 25, 1000}) == Approx(1.0).epsilon(1e-15));
  CHECK(*ws::spearman({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1.0).epsilon(1e-15));
  // y ranks 1, 2, 3.5, 5, 3.5 (the two 7s share 3.5): rho = 8 / sqrt(10 * 9.5).
  CHECK(*ws::spearman({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}) == Approx(8.0 / std::sqrt(95.0)).epsilon(1e-15));
  CHECK_FALSE(ws::spearman({1}, {2}).has_value());
  CHECK_FALSE(ws::spearman({1, 2, 3}, {2, 2, 2}).has_value());
  CHECK_FALSE(ws::spearman({1, 2}, {1, 2, 3}).has_value());
}
