// The one options <-> JSON mapping: defaults, round trips, and refusals that name the option.
#include <catch2/catch.hpp>

#include "analysis/options_json.h"

TEST_CASE("options: defaults as JSON are the documented defaults", "[analysis]") {
  const nlohmann::json j = ws::options_to_json(ws::AnalyzeOptions{});
  CHECK(j == nlohmann::json{{"min_evals", 10},      {"max_evals", 15000}, {"max_N", 50000},
                            {"conv2d_norm", true},  {"fit", "pl"},        {"xmin_convention", "weightwatcher"},
                            {"fix_fingers", "none"}, {"mp_fit", true},    {"detX", true},
                            {"randomize", false},   {"seed", 42},         {"spectra", true},
                            {"vectors", false},     {"base", ""}});
}

TEST_CASE("options: every option round-trips through JSON", "[analysis]") {
  const nlohmann::json in = {{"min_evals", 20},       {"max_evals", 900},           {"max_N", 1000},
                             {"conv2d_norm", false},  {"fit", "tpl"},               {"xmin_convention", "powerlaw"},
                             {"fix_fingers", "clip_xmax"}, {"mp_fit", false},       {"detX", false},
                             {"randomize", true},     {"seed", 7},                  {"spectra", false},
                             {"vectors", true},       {"base", "base.safetensors"}};
  const ws::AnalyzeOptions o = ws::options_from_json(in);
  CHECK(o.layers.min_evals == 20);
  CHECK(o.powerlaw.convention == ws::XminConvention::Powerlaw);
  CHECK(o.powerlaw.fix_fingers == ws::Fingers::ClipXmax);
  CHECK(o.fit_tpl);
  CHECK(o.vectors);
  CHECK(o.base == "base.safetensors");
  CHECK(ws::options_to_json(o) == in);
  CHECK(ws::options_from_json({{"fix_fingers", "xmin_peak"}}).powerlaw.fix_fingers == ws::Fingers::XminPeak);
  CHECK(ws::options_from_json({{"threads", 3}}).threads == 3);
}

TEST_CASE("options: unknown keys, wrong types and contradictions are refused by name", "[analysis]") {
  using Catch::Contains;
  CHECK_THROWS_WITH(ws::options_from_json({{"min_eval", 3}}), Contains("unknown option 'min_eval'"));
  CHECK_THROWS_WITH(ws::options_from_json({{"fit", "tlp"}}), Contains("fit (--fit) expects pl|tpl"));
  CHECK_THROWS_WITH(ws::options_from_json({{"mp_fit", 1}}), Contains("mp_fit (--no-mp-fit) expects boolean"));
  CHECK_THROWS_WITH(ws::options_from_json({{"seed", -1}}), Contains("seed (--seed) expects integer"));
  CHECK_THROWS_WITH(ws::options_from_json({{"max_evals", 5}}), Contains("min_evals must be >= 1 and below max_evals"));
  CHECK_THROWS_WITH(ws::options_from_json({{"max_N", 100}}), Contains("max_N must be >= max_evals"));
  CHECK_THROWS_AS(ws::options_from_json(nlohmann::json::array()), ws::OptionError);
}
