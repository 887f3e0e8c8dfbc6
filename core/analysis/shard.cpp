#include "analysis/shard.h"

#include <cctype>

#include "analysis/options_json.h"

namespace ws {
namespace {

// A whole decimal number >= 0, or nullopt (signs, spaces, empty and overflowing text are not).
std::optional<int64_t> parse_count(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

Shard checked(int64_t index, int64_t count, const std::string& what) {
  if (count < 1 || index < 0 || index >= count)
    throw OptionError(what + " does not make a shard: index " + std::to_string(index) + " of " +
                      std::to_string(count) + " (need 0 <= index < count)");
  return {index, count};
}

}  // namespace

std::vector<bool> shard_members(const std::vector<TensorInfo>& tensors, const LayerOptions& layers, Shard s) {
  std::vector<bool> mine(tensors.size(), true);
  if (s.count == 1) return mine;
  int64_t admitted = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const LayerPlan p = plan_layer(tensors[i], layers);
    if (!p.candidate) continue;
    mine[i] = admitted % s.count == s.index;
    admitted += p.analyze;
  }
  return mine;
}

Shard parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  const auto index = parse_count(text.substr(0, slash));
  const auto count = slash == std::string::npos ? std::nullopt : parse_count(text.substr(slash + 1));
  if (!index || !count) throw OptionError("--shard expects I/N (e.g. 0/4), got '" + text + "'");
  return checked(*index, *count, "--shard " + text);
}

std::optional<Shard> shard_from_environment(const std::function<const char*(const char*)>& getenv,
                                            std::optional<int64_t> count, std::string* source) {
  // An unset variable is nullopt; a set one must be a number.
  const auto number = [&](const char* name) -> std::optional<int64_t> {
    const char* v = getenv(name);
    if (v == nullptr) return std::nullopt;
    const auto n = parse_count(v);
    if (!n) throw OptionError(std::string(name) + " is '" + v + "', not a number >= 0");
    return n;
  };
  if (const auto id = number("SLURM_ARRAY_TASK_ID")) {
    const int64_t min = number("SLURM_ARRAY_TASK_MIN").value_or(0);
    const int64_t step = std::max<int64_t>(1, number("SLURM_ARRAY_TASK_STEP").value_or(1));
    std::optional<int64_t> tasks = number("SLURM_ARRAY_TASK_COUNT");
    if (!tasks)
      if (const auto max = number("SLURM_ARRAY_TASK_MAX")) tasks = (*max - min) / step + 1;
    if (!tasks) throw OptionError("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is");
    if (count && *count != *tasks)
      throw OptionError("--shard-count " + std::to_string(*count) + " disagrees with the Slurm array's " +
                        std::to_string(*tasks) + " tasks");
    const std::string what = "SLURM_ARRAY_TASK_ID " + std::to_string(*id);
    if (*id < min || (*id - min) % step != 0)
      throw OptionError(what + " is not on the array's range (min " + std::to_string(min) + ", step " +
                        std::to_string(step) + "): give --shard I/N");
    if (source) *source = what;
    return checked((*id - min) / step, *tasks, what + " (array of " + std::to_string(*tasks) + " tasks)");
  }
  if (const auto index = number("JOB_COMPLETION_INDEX")) {
    if (!count) count = number("WEIGHTSCOPE_SHARD_COUNT");
    if (!count) throw OptionError("JOB_COMPLETION_INDEX is set but the shard count is not: give --shard-count N "
                                  "or set WEIGHTSCOPE_SHARD_COUNT (the Job's completions)");
    const std::string what = "JOB_COMPLETION_INDEX " + std::to_string(*index);
    if (source) *source = what;
    return checked(*index, *count, what);
  }
  return std::nullopt;
}

nlohmann::json shard_to_json(Shard s) { return {{"index", s.index}, {"count", s.count}}; }

Shard shard_from_json(const nlohmann::json& j, const std::string& where) {
  const auto field = [&](const char* key) -> int64_t {
    if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer())
      throw InputError(where + ": shard." + key + " is missing or not an integer");
    return j[key].get<int64_t>();
  };
  const int64_t index = field("index"), count = field("count");
  if (count < 1 || index < 0 || index >= count)
    throw InputError(where + ": shard " + std::to_string(index) + "/" + std::to_string(count) + " is not a shard");
  return {index, count};
}

}  // namespace ws
