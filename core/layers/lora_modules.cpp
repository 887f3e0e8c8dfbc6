#include "layers/lora_modules.h"

#include <map>

#include "io/input_error.h"

namespace ws {
namespace {

constexpr char kPeftPrefix[] = "base_model.model.";

struct ParsedKey {
  std::string prefix, adapter;
  bool embedding = false, is_a = false;
};

// "<prefix>.<factor>[.<adapter>][.weight]" with factor lora_A, lora_B, lora_embedding_A or
// lora_embedding_B, else nullopt. Linear factors end in ".weight"; embedding factors are
// parameters without one.
std::optional<ParsedKey> parse_key(const std::string& key) {
  static const struct { const char* text; bool embedding, is_a; } kFactors[] = {
      {".lora_A", false, true}, {".lora_B", false, false}, {".lora_embedding_A", true, true}, {".lora_embedding_B", true, false}};
  for (const auto& f : kFactors) {
    const size_t at = key.rfind(f.text);
    if (at == std::string::npos || at == 0) continue;
    std::string rest = key.substr(at + std::char_traits<char>::length(f.text));
    if (!f.embedding) {
      constexpr char kWeight[] = ".weight";
      if (rest.size() < sizeof kWeight - 1 || rest.compare(rest.size() - (sizeof kWeight - 1), std::string::npos, kWeight) != 0)
        continue;  // lora_B.bias and the like
      rest.resize(rest.size() - (sizeof kWeight - 1));
    }
    if (!rest.empty() && (rest[0] != '.' || rest.find('.', 1) != std::string::npos)) continue;
    ParsedKey p{key.substr(0, at), rest.empty() ? "" : rest.substr(1), f.embedding, f.is_a};
    return p;
  }
  return std::nullopt;
}

}  // namespace

LoraModules lora_modules(const std::vector<TensorInfo>& tensors) {
  LoraModules out;
  out.factor_of_tensor.resize(tensors.size());
  std::map<std::pair<std::string, std::string>, size_t> index;  // (prefix, adapter) -> module
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto p = parse_key(tensors[i].name);
    if (!p) continue;
    const auto [it, fresh] = index.emplace(std::make_pair(p->prefix, p->adapter), out.modules.size());
    if (fresh) {
      LoraModule m;
      m.prefix = p->prefix;
      m.module = p->prefix.rfind(kPeftPrefix, 0) == 0 ? p->prefix.substr(sizeof kPeftPrefix - 1) : p->prefix;
      m.adapter = p->adapter;
      m.embedding = p->embedding;
      out.modules.push_back(std::move(m));
    }
    LoraModule& m = out.modules[it->second];
    std::optional<size_t>& slot = p->is_a ? m.a : m.b;
    if (slot || m.embedding != p->embedding)
      throw InputError("tensor '" + tensors[i].name + "': a second LoRA " + (p->is_a ? "A" : "B") +
                       " factor for module '" + m.prefix + "' (the other is '" + tensors[slot ? *slot : *(p->is_a ? m.b : m.a)].name + "')");
    slot = i;
    out.factor_of_tensor[i] = LoraFactor{it->second, p->is_a};
  }
  return out;
}

std::string lora_base_key(const LoraModule& m) { return m.module + ".weight"; }

}  // namespace ws
