// Metrics that follow from the fit, against closed forms and the reference's thresholds.
#include <catch2/catch.hpp>

#include "metrics/fit_metrics.h"

TEST_CASE("alpha-hat is alpha * log10(lambda_max)", "[metrics]") {
  CHECK(ws::alpha_weighted(2.0, 1000.0) == Approx(6.0).epsilon(1e-15));
  CHECK(ws::alpha_weighted(3.5, 1.0) == 0.0);
  CHECK(ws::alpha_weighted(4.0, 0.01) == Approx(-8.0).epsilon(1e-15));
}

TEST_CASE("training warnings at the reference's thresholds 2 and 6 (exclusive)", "[metrics]") {
  CHECK(ws::training_warning(1.99) == "over-trained");
  CHECK(ws::training_warning(2.0).empty());
  CHECK(ws::training_warning(6.0).empty());
  CHECK(ws::training_warning(6.01) == "under-trained");
}

TEST_CASE("detX and xmin coincide within one eigenvalue", "[metrics]") {
  CHECK(ws::detx_coincides(10, 10));
  CHECK(ws::detx_coincides(10, 11));
  CHECK(ws::detx_coincides(11, 10));
  CHECK_FALSE(ws::detx_coincides(10, 12));
}

TEST_CASE("detX gap in decades", "[metrics]") {
  CHECK(ws::detx_gap_decades(10.0, 1.0) == Approx(1.0).epsilon(1e-15));
  CHECK(ws::detx_gap_decades(2.0, 2.0) == 0.0);
  CHECK(ws::detx_gap_decades(0.5, 5.0) == Approx(-1.0).epsilon(1e-15));
}
