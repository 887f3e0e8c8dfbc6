#pragma once
// A PEFT LoRA adapter analyzed module by module (docs/methods.md, "LoRA adapters"). The model is the
// adapter's safetensors file with its adapter_config.json (ModelInput::adapter_config). Analysis asks
// this first at each step: the step of a module's first factor (in model order) gives the update
// dW = scaling * B A, analyzed on its r nonzero eigenvalues (layer "<prefix>.lora_BA", weightwatcher's
// row name); the step of its second factor, when a base model is given, gives W_base + dW (its full
// ESD, layer "<prefix>.lora_W_plus_AB"), and is otherwise ignored. Other tensors of the adapter
// (biases, modules_to_save weights) are ordinary layers.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "layers/base_pairing.h"
#include "layers/lora_config.h"
#include "layers/lora_modules.h"
#include "util/thread_pool.h"

namespace ws {

class LoraAdapter {
 public:
  // Parses model.adapter_config (which must be set) and groups the LoRA factors; throws InputError
  // for a bad config or a duplicated factor.
  explicit LoraAdapter(const ModelInput& model);

  // Whether tensor `index` is a LoRA factor, whose step is this class's.
  bool owns(size_t index) const;

  // One step's outcome: a layer entry (without "index"), a skip reason, or neither (ignored).
  struct Step {
    std::string name;  // the layer name (also for a skip)
    nlohmann::json layer;
    std::string skip_reason;
    bool ignored() const { return layer.is_null() && skip_reason.empty(); }
  };
  // The step of factor `index` (owns(index)). base: the base model, or nullptr. Read errors throw
  // InputError; bad values, shapes and a missing partner or base tensor are skip reasons.
  Step step(size_t index, ModelInput& model, BaseModel* base, const AnalyzeOptions& opt, ThreadPool& pool) const;

  // Whether some module's update is added to the base tensor named base_key (lora_base_key).
  bool adapts(const std::string& base_key) const;

  const LoraConfig& config() const { return config_; }

 private:
  LoraConfig config_;
  LoraModules modules_;
};

}  // namespace ws
