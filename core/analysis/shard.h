#pragma once
// Sharding one run over several processes or machines (docs/cluster.md): shard I of N takes every
// N-th layer of a model, or every N-th model of a list, so N tasks partition the work and
// `weightscope merge` joins their reports into the report of the whole run.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/tensor_info.h"
#include "layers/layer_plan.h"

namespace ws {

struct Shard {
  int64_t index = 0;  // 0 <= index < count
  int64_t count = 1;  // 1: the whole run
  bool operator==(const Shard& o) const { return index == o.index && count == o.count; }
};

// Which tensors shard s owns. The k-th tensor the layer gates admit (0-based, model order) belongs
// to shard k mod count: the expensive work is dealt out evenly. A layer tensor the gates skip goes
// with the next admitted one (shard k mod count, k admitted ones before it), so every layer and
// every skipped entry belongs to exactly one shard. Tensors that are not layer candidates are
// everybody's (each shard counts them as ignored, as the whole run does).
std::vector<bool> shard_members(const std::vector<TensorInfo>& tensors, const LayerOptions& layers, Shard s);

// "I/N" (0 <= I < N); throws OptionError naming the flag otherwise.
Shard parse_shard(const std::string& text);

// The shard a batch engine gives this task, read through getenv (a lookup returning nullptr when a
// variable is unset), or nullopt when no engine index is set:
//   Slurm job arrays: SLURM_ARRAY_TASK_ID, offset by SLURM_ARRAY_TASK_MIN and divided by
//     SLURM_ARRAY_TASK_STEP when set, of SLURM_ARRAY_TASK_COUNT (or (MAX - MIN) / STEP + 1) tasks;
//   Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX, of `count` (--shard-count) or
//     WEIGHTSCOPE_SHARD_COUNT tasks (Kubernetes does not pass the Job's completions to its pods).
// `count`, when given with Slurm, must agree with the array. source is set to where the index came
// from, for the progress line. Throws OptionError on values that do not make a shard.
std::optional<Shard> shard_from_environment(const std::function<const char*(const char*)>& getenv,
                                            std::optional<int64_t> count, std::string* source);

// The JSON of a shard ({"index": I, "count": N}) and back; from_json throws InputError naming
// `where` on anything else.
nlohmann::json shard_to_json(Shard s);
Shard shard_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace ws
