#pragma once
// The LoRA factors of a PEFT adapter's state dict, grouped by module (docs/methods.md, "LoRA adapters").
// Keys as save_pretrained writes them: <prefix>.lora_A.weight [r, in] and <prefix>.lora_B.weight
// [out, r] (Linear, Conv1D), <prefix>.lora_embedding_A [r, num_embeddings] and .lora_embedding_B
// [dim, r] (Embedding); a PeftModel's own state dict has the adapter name inserted
// (lora_A.default.weight), which is accepted too.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "formats/tensor_info.h"

namespace ws {

struct LoraModule {
  std::string prefix;  // the keys before ".lora_A": "base_model.model.model.layers.0.self_attn.q_proj"
  std::string module;  // the module's name in the base model (PEFT's "base_model.model." dropped)
  std::string adapter; // adapter name inside the keys ("default"), "" in a saved adapter
  bool embedding = false;  // lora_embedding_A/B: PEFT's delta is (B A)^T
  std::optional<size_t> a, b;  // tensor indices in the model
};

// A tensor that is one LoRA factor: its module and which factor.
struct LoraFactor {
  size_t module = 0;  // into lora_modules()'s result
  bool is_a = false;
};

// Every module with a LoRA factor, in the order of its first factor, and for each tensor the factor
// it is (nullopt for other tensors: biases, modules_to_save weights). Throws InputError when a key
// names the same factor twice (lora_A.weight and lora_A.default.weight of one module).
struct LoraModules {
  std::vector<LoraModule> modules;
  std::vector<std::optional<LoraFactor>> factor_of_tensor;
};
LoraModules lora_modules(const std::vector<TensorInfo>& tensors);

// The base model's key of a module's weight: "<module>.weight" (".weight" is PEFT's, the embedding's too).
std::string lora_base_key(const LoraModule& m);

}  // namespace ws
