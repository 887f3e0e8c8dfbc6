// adapter_config.json: the fixture's values, PEFT's scaling rules by hand, hostile configs refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "io/input_error.h"
#include "layers/lora_config.h"
#include "support/test_data.h"

namespace {

ws::LoraConfig parse(const std::string& text) { return ws::parse_lora_config(text, "adapter_config.json"); }

void refused(const std::string& text, const std::string& says) {
  INFO(text);
  REQUIRE_THROWS_WITH(parse(text), Catch::Contains(says));
}

}  // namespace

TEST_CASE("the fixture adapter's config: r 16, alpha 32, nine targets, scaling 2", "[lora]") {
  std::ifstream f(ws_test::test_data("fixtures/finetune/ppocrv4_rec_lora/adapter_config.json"));
  std::stringstream text;
  text << f.rdbuf();
  const ws::LoraConfig c = parse(text.str());
  CHECK(c.r == 16);
  CHECK(c.lora_alpha == 32);
  CHECK(c.target_modules.size() == 9);
  CHECK(c.target_modules.front() == "linear_77");
  CHECK_FALSE(c.fan_in_fan_out);
  CHECK_FALSE(c.use_rslora);
  CHECK(c.scaling_of("linear_77") == 2.0);  // the reference's lora.modules[].scaling
}

TEST_CASE("use_rslora scales by lora_alpha / sqrt(r)", "[lora]") {
  const ws::LoraConfig c = parse(R"({"r": 16, "lora_alpha": 8, "use_rslora": true})");
  CHECK(c.scaling_of("q_proj") == 8.0 / 4.0);
  CHECK(parse(R"({"r": 16, "lora_alpha": 8})").scaling_of("q_proj") == 0.5);
}

TEST_CASE("rank_pattern and alpha_pattern apply to a module by its name or a dotted suffix of it", "[lora]") {
  const ws::LoraConfig c = parse(R"({"r": 8, "lora_alpha": 16, "use_rslora": false,
      "rank_pattern": {"v_proj": 4, "model.layers.1.self_attn.q_proj": 32},
      "alpha_pattern": {"layers.1.self_attn.q_proj": 8}})");
  // v_proj everywhere: r 4, alpha 16 -> 4.
  CHECK(c.rank_of("model.layers.0.self_attn.v_proj") == 4);
  CHECK(c.scaling_of("model.layers.0.self_attn.v_proj") == 16.0 / 4);
  CHECK(c.scaling_of("v_proj") == 16.0 / 4);
  // Not a suffix at a dot: "xv_proj" keeps the defaults.
  CHECK(c.rank_of("model.layers.0.self_attn.xv_proj") == 8);
  // q_proj of layer 1: r 32 and alpha 8 -> 0.25; of layer 0: defaults -> 2.
  CHECK(c.scaling_of("model.layers.1.self_attn.q_proj") == 8.0 / 32);
  CHECK(c.alpha_of("model.layers.1.self_attn.q_proj") == 8);
  CHECK(c.scaling_of("model.layers.0.self_attn.q_proj") == 2.0);
  const ws::LoraConfig rs = parse(R"({"r": 8, "lora_alpha": 16, "use_rslora": true, "rank_pattern": {"k_proj": 64}})");
  CHECK(rs.scaling_of("a.k_proj") == 16.0 / 8.0);  // 16 / sqrt(64)
  CHECK(rs.scaling_of("a.q_proj") == Approx(16.0 / std::sqrt(8.0)).epsilon(1e-15));
}

TEST_CASE("hostile or broken adapter configs are refused with what is wrong", "[lora]") {
  refused(R"({"lora_alpha": 16})", "has no \"r\"");
  refused(R"({"r": 0, "lora_alpha": 16})", "r must be in [1, 65536], got 0");
  refused(R"({"r": -4, "lora_alpha": 16})", "r must be in [1, 65536], got -4");
  refused(R"({"r": 18446744073709551615, "lora_alpha": 16})", "r must be in [1, 65536]");
  refused(R"({"r": 1e300, "lora_alpha": 16})", "r must be an integer");
  refused(R"({"r": 8.5, "lora_alpha": 16})", "r must be an integer");
  refused(R"({"r": "8", "lora_alpha": 16})", "r must be an integer");
  refused(R"({"r": 8})", "has no \"lora_alpha\"");
  refused(R"({"r": 8, "lora_alpha": null})", "lora_alpha must be a number");
  refused(R"({"r": 8, "lora_alpha": 16, "rank_pattern": {"q_proj": 0}})", "rank_pattern[\"q_proj\"] must be in");
  refused(R"({"r": 8, "lora_alpha": 16, "rank_pattern": {"q_proj": 1000000}})", "must be in [1, 65536]");
  refused(R"({"r": 8, "lora_alpha": 16, "rank_pattern": [4]})", "\"rank_pattern\" must be an object");
  refused(R"({"r": 8, "lora_alpha": 16, "alpha_pattern": {".*q_proj": 4}})", "is a regular expression");
  refused(R"({"r": 8, "lora_alpha": 16, "use_rslora": "yes"})", "\"use_rslora\" must be true or false");
  refused(R"({"r": 8, "lora_alpha": 16, "target_modules": [1]})", "target_modules holds a non-string");
  refused(R"({"r": 8, "lora_alpha": 16, "peft_type": "IA3"})", "only LORA adapters");
  refused(R"({"r": 8, "lora_alpha": 16, "use_dora": true})", "use_dora");
  refused(R"({"r": 8, "r": 16, "lora_alpha": 16})", "key 'r' appears twice");
  refused(R"([8, 16])", "is not a JSON object");
  refused(R"({"r": 8,)", "not valid JSON");
  refused(std::string(100, '[') + std::string(100, ']'), "nests deeper");
}
