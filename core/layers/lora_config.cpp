#include "layers/lora_config.h"

#include <cmath>

#include "formats/strict_json.h"
#include "io/input_error.h"

namespace ws {
namespace {

using Json = nlohmann::ordered_json;

int64_t checked_rank(const Json& v, const std::string& what) {
  if (!v.is_number_integer() && !v.is_number_unsigned())
    throw InputError(what + " must be an integer, got " + v.dump());
  // A huge unsigned value would wrap in get<int64_t>: compare it unsigned first.
  const bool too_big = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(kMaxLoraRank);
  if (too_big || v.get<int64_t>() < 1 || v.get<int64_t>() > kMaxLoraRank)
    throw InputError(what + " must be in [1, " + std::to_string(kMaxLoraRank) + "], got " + v.dump());
  return v.get<int64_t>();
}

double checked_alpha(const Json& v, const std::string& what) {
  if (!v.is_number()) throw InputError(what + " must be a number, got " + v.dump());
  const double a = v.get<double>();
  if (!std::isfinite(a)) throw InputError(what + " must be finite, got " + v.dump());
  return a;
}

bool flag(const Json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return false;
  if (!j[key].is_boolean()) throw InputError(where + ": \"" + key + "\" must be true or false, got " + j[key].dump());
  return j[key].get<bool>();
}

// PEFT reads pattern keys as regular expressions; literal names (dots included) are all real
// adapters use, and a key with other regex syntax would be misapplied if taken literally.
void check_literal_key(const std::string& key, const std::string& what) {
  if (key.empty() || key.find_first_of("*+?()[]{}|^$\\") != std::string::npos)
    throw InputError(what + " key '" + key + "' is a regular expression; only literal module names are supported");
}

template <class T, class Check>
std::vector<std::pair<std::string, T>> pattern(const Json& j, const char* key, const std::string& where, Check check) {
  std::vector<std::pair<std::string, T>> out;
  if (!j.contains(key) || j[key].is_null()) return out;
  if (!j[key].is_object()) throw InputError(where + ": \"" + key + "\" must be an object, got " + j[key].dump());
  for (const auto& [name, v] : j[key].items()) {
    const std::string what = where + ": " + key + "[\"" + name + "\"]";
    check_literal_key(name, where + ": " + key);
    out.emplace_back(name, check(v, what));
  }
  return out;
}

// The first key that is the module's name or a dotted suffix of it.
template <class T>
const T* match(const std::vector<std::pair<std::string, T>>& patterns, const std::string& module) {
  for (const auto& [key, value] : patterns) {
    if (module == key) return &value;
    if (module.size() > key.size() && module.compare(module.size() - key.size(), key.size(), key) == 0 &&
        module[module.size() - key.size() - 1] == '.')
      return &value;
  }
  return nullptr;
}

}  // namespace

int64_t LoraConfig::rank_of(const std::string& module) const {
  const int64_t* p = match(rank_pattern, module);
  return p ? *p : r;
}

double LoraConfig::alpha_of(const std::string& module) const {
  const double* p = match(alpha_pattern, module);
  return p ? *p : lora_alpha;
}

double LoraConfig::scaling_of(const std::string& module) const {
  const double rank = static_cast<double>(rank_of(module));
  return alpha_of(module) / (use_rslora ? std::sqrt(rank) : rank);
}

LoraConfig parse_lora_config(const std::string& text, const std::string& where) {
  const Json j = parse_json_strict(text, where);
  if (!j.is_object()) throw InputError(where + ": is not a JSON object");
  if (j.contains("peft_type") && j["peft_type"] != "LORA")
    throw InputError(where + ": peft_type is " + j["peft_type"].dump() + "; only LORA adapters are read");
  if (flag(j, "use_dora", where))
    throw InputError(where + ": use_dora is set; DoRA rescales the merged weight's columns, so its update is not B A");
  LoraConfig c;
  if (!j.contains("r")) throw InputError(where + ": has no \"r\" (the LoRA rank)");
  c.r = checked_rank(j["r"], where + ": r");
  if (!j.contains("lora_alpha")) throw InputError(where + ": has no \"lora_alpha\"");
  c.lora_alpha = checked_alpha(j["lora_alpha"], where + ": lora_alpha");
  if (j.contains("target_modules")) {
    const Json& t = j["target_modules"];
    if (t.is_string()) c.target_modules.push_back(t.get<std::string>());
    else if (t.is_array())
      for (const Json& m : t) {
        if (!m.is_string()) throw InputError(where + ": target_modules holds a non-string " + m.dump());
        c.target_modules.push_back(m.get<std::string>());
      }
    else if (!t.is_null()) throw InputError(where + ": target_modules must be a list of names, got " + t.dump());
  }
  c.fan_in_fan_out = flag(j, "fan_in_fan_out", where);
  c.use_rslora = flag(j, "use_rslora", where);
  c.rank_pattern = pattern<int64_t>(j, "rank_pattern", where, checked_rank);
  c.alpha_pattern = pattern<double>(j, "alpha_pattern", where, checked_alpha);
  return c;
}

}  // namespace ws
