// LoRA factors grouped by module from the adapter's keys.
#include <catch2/catch.hpp>

#include "io/input_error.h"
#include "layers/lora_modules.h"

namespace {

std::vector<ws::TensorInfo> named(const std::vector<std::string>& names) {
  std::vector<ws::TensorInfo> out;
  for (const auto& n : names) out.push_back({n});
  return out;
}

}  // namespace

TEST_CASE("save_pretrained keys: one module per lora_A / lora_B pair, other keys are not factors", "[lora]") {
  const auto m = ws::lora_modules(named({
      "base_model.model.linear_77.lora_A.weight", "base_model.model.linear_77.lora_B.weight",
      "base_model.model.head.weight",             // modules_to_save: an ordinary weight
      "base_model.model.linear_78.lora_B.bias",   // lora_bias: not a factor
      "base_model.model.linear_78.lora_B.weight", "base_model.model.linear_78.lora_A.weight",
      "base_model.model.model.embed_tokens.lora_embedding_A", "base_model.model.model.embed_tokens.lora_embedding_B",
  }));
  REQUIRE(m.modules.size() == 3);
  CHECK(m.modules[0].prefix == "base_model.model.linear_77");
  CHECK(m.modules[0].module == "linear_77");
  CHECK(ws::lora_base_key(m.modules[0]) == "linear_77.weight");
  CHECK(*m.modules[0].a == 0);
  CHECK(*m.modules[0].b == 1);
  CHECK(*m.modules[1].a == 5);  // B came first in the file
  CHECK(*m.modules[1].b == 4);
  CHECK(m.modules[2].embedding);
  CHECK(m.modules[2].module == "model.embed_tokens");
  CHECK(ws::lora_base_key(m.modules[2]) == "model.embed_tokens.weight");
  CHECK_FALSE(m.factor_of_tensor[2]);
  CHECK_FALSE(m.factor_of_tensor[3]);
  CHECK(m.factor_of_tensor[4]->module == 1);
  CHECK_FALSE(m.factor_of_tensor[4]->is_a);
}

TEST_CASE("a PeftModel state dict's adapter names, a lone factor, and a factor given twice", "[lora]") {
  const auto m = ws::lora_modules(named({"base_model.model.fc.lora_A.default.weight", "base_model.model.fc.lora_B.default.weight",
                                         "base_model.model.fc2.lora_A.weight"}));
  REQUIRE(m.modules.size() == 2);
  CHECK(m.modules[0].adapter == "default");
  CHECK(m.modules[0].b.has_value());
  CHECK_FALSE(m.modules[1].b.has_value());
  REQUIRE_THROWS_WITH(ws::lora_modules(named({"x.lora_A.weight", "x.lora_A.weight"})),
                      Catch::Contains("a second LoRA A factor for module 'x'"));
}
