#pragma once
// A PEFT LoRA adapter's adapter_config.json: the rank, alpha and the per-module overrides that decide
// each module's scaling, as PEFT's LoraModel applies them (docs/methods.md, "LoRA adapters").
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ws {

struct LoraConfig {
  int64_t r = 0;
  double lora_alpha = 0;
  std::vector<std::string> target_modules;  // as given (a single string becomes one entry); informational
  bool fan_in_fan_out = false;  // the base weight is stored [in, out] (GPT-2's Conv1D): dW is (B A)^T
  bool use_rslora = false;      // scaling lora_alpha / sqrt(r) instead of lora_alpha / r
  // Module-name keys, in the file's order; the first key that is the module's name or a dotted
  // suffix of it ("q_proj" for "model.layers.0.self_attn.q_proj") gives that module's r / alpha.
  std::vector<std::pair<std::string, int64_t>> rank_pattern;
  std::vector<std::pair<std::string, double>> alpha_pattern;

  int64_t rank_of(const std::string& module) const;
  double alpha_of(const std::string& module) const;
  // lora_alpha / r (use_rslora: / sqrt(r)) with the module's overrides.
  double scaling_of(const std::string& module) const;
};

// Largest rank accepted: far above any real adapter (PEFT's defaults are 8 or 16; 1024 is rare), and
// small enough that the r x r eigenproblem stays cheap whatever a hostile file claims.
constexpr int64_t kMaxLoraRank = 65536;

// Parses the config's text; `where` names it in messages. Throws InputError for invalid JSON, a
// peft_type other than LORA, use_dora (its magnitude vector rescales columns: not B A), a missing or
// non-integer r, an r or rank_pattern value outside [1, kMaxLoraRank], a non-finite or missing
// lora_alpha, and pattern keys holding regular-expression syntax (PEFT reads them as regexes; they
// are matched here literally, so such a key would be silently misapplied).
LoraConfig parse_lora_config(const std::string& text, const std::string& where);

}  // namespace ws
