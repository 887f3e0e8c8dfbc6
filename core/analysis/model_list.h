#pragma once
// A zoo of models analyzed as one run: a list file, one model path per line (docs/cluster.md).
// With a shard, task I of N takes the models k = I, I + N, I + 2N, ... of the list.
#include <string>
#include <vector>

#include "analysis/shard.h"

namespace ws {

// The paths of a list file, in order: each line trimmed of surrounding blanks; empty lines and
// lines starting with '#' are not models. Throws InputError when the file cannot be read or names
// no model.
std::vector<std::string> read_model_list(const std::string& path);

inline bool shard_owns_model(Shard s, size_t list_index) {
  return static_cast<int64_t>(list_index % static_cast<size_t>(s.count)) == s.index;
}

// The file name of list entry k's report when merge splits a report set: "<k>-<stem>.json", the
// stem being the path's last component without .safetensors/.npy, other characters than letters,
// digits, '.', '_' and '-' made '_'. The number keeps names unique.
std::string model_report_name(size_t list_index, const std::string& model_path);

}  // namespace ws
