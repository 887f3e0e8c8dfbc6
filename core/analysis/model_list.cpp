#include "analysis/model_list.h"

#include <cctype>
#include <fstream>

#include "io/input_error.h"

namespace ws {

std::vector<std::string> read_model_list(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw InputError(path + ": cannot open the model list");
  std::vector<std::string> models;
  const char* blank = " \t\r\n";
  for (std::string line; std::getline(f, line);) {
    const size_t a = line.find_first_not_of(blank);
    if (a == std::string::npos || line[a] == '#') continue;
    models.push_back(line.substr(a, line.find_last_not_of(blank) + 1 - a));
  }
  if (f.bad()) throw InputError(path + ": read failed");
  if (models.empty()) throw InputError(path + ": the model list names no model (one path per line)");
  return models;
}

std::string model_report_name(size_t list_index, const std::string& model_path) {
  std::string stem = model_path.substr(0, model_path.find_last_not_of('/') + 1);
  stem = stem.substr(stem.find_last_of('/') + 1);
  for (const std::string ext : {".safetensors", ".npy"})
    if (stem.size() > ext.size() && stem.compare(stem.size() - ext.size(), ext.size(), ext) == 0)
      stem.resize(stem.size() - ext.size());
  for (char& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return std::to_string(list_index) + "-" + (stem.empty() ? "model" : stem) + ".json";
}

}  // namespace ws
