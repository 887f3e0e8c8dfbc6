#include "formats/model_input.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <limits>
#include <new>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "formats/gguf.h"
#include "formats/npy.h"
#include "formats/onnx.h"
#include "formats/pytorch.h"
#include "formats/safetensors.h"
#include "formats/strict_json.h"
#include "io/input_error.h"

namespace ws {

namespace {

namespace fs = std::filesystem;

constexpr const char* kIndexWhere = "shard index (.index.json)";
constexpr uint64_t kMaxIndexBytes = 100'000'000;  // an index lists names only; real ones are < 1 MB
constexpr uint64_t kMaxAdapterConfigBytes = 1'000'000;  // real ones are < 2 kB
constexpr char kAdapterConfig[] = "adapter_config.json";

bool ends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); });
}

// By extension, or by the magic bytes when a file was renamed.
bool is_npy(ByteSource& s) {
  if (ends_with(s.name(), ".npy")) return true;
  if (s.size() < 6) return false;
  char magic[6];
  s.read(0, magic, 6);
  return std::memcmp(magic, "\x93NUMPY", 6) == 0;
}

// By extension only: a ModelProto has no magic bytes (onnx.cpp checks its first field instead).
bool is_onnx_name(const std::string& name) { return ends_with(name, ".onnx"); }

bool is_gguf(ByteSource& s) { return ends_with(s.name(), ".gguf") || has_gguf_magic(s); }

// By extension, or by torch.save's magic bytes when a file was renamed; a .safetensors name wins.
bool is_pytorch(ByteSource& s) {
  const std::string name = s.name();
  if (ends_with(name, ".safetensors")) return false;
  return ends_with(name, ".pt") || ends_with(name, ".pth") || ends_with(name, ".bin") || has_pytorch_magic(s);
}

// weight_map as (tensor, shard file) pairs in file order.
std::vector<std::pair<std::string, std::string>> weight_map(const std::string& index_json) {
  const nlohmann::ordered_json j = parse_json_strict(index_json, kIndexWhere);
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw InputError(std::string(kIndexWhere) + ": has no \"weight_map\" object");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [tensor, shard] : j["weight_map"].items()) {
    if (!shard.is_string())
      throw InputError(std::string(kIndexWhere) + ": weight_map entry for '" + tensor + "' is not a file name");
    out.emplace_back(tensor, shard.get<std::string>());
  }
  return out;
}

// Orders tensors by the index's weight_map. Tensors of the given shards that the map leaves out are
// appended after the mapped ones in shard-name, then file order: the shards themselves are valid, and
// analysing every given tensor is less surprising than refusing a slightly stale index.
std::vector<TensorInfo> order_by_index(const std::string& index_json, const std::vector<std::unique_ptr<ByteSource>>& sources,
                                       std::vector<TensorInfo> tensors) {
  std::unordered_map<std::string, size_t> shard_of_name, tensor_of_name;
  for (size_t i = 0; i < sources.size(); ++i) shard_of_name[sources[i]->name()] = i;
  for (size_t i = 0; i < tensors.size(); ++i) tensor_of_name[tensors[i].name] = i;

  const auto map = weight_map(index_json);
  std::set<std::string> missing;
  for (const auto& entry : map)
    if (!shard_of_name.count(entry.second)) missing.insert(entry.second);
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw InputError(std::string(kIndexWhere) + ": names shard file(s) that were not given: " + list +
                     " (give all shards of the model together)");
  }
  std::vector<TensorInfo> out;
  std::vector<bool> used(tensors.size(), false);
  for (const auto& [tensor, shard] : map) {
    const auto it = tensor_of_name.find(tensor);
    if (it == tensor_of_name.end())
      throw InputError(std::string(kIndexWhere) + ": maps tensor '" + tensor + "' to " + shard +
                       ", which has no such tensor");
    const TensorInfo& t = tensors[it->second];
    if (sources[t.source_index]->name() != shard)
      throw InputError(std::string(kIndexWhere) + ": maps tensor '" + tensor + "' to " + shard + " but it is in " +
                       sources[t.source_index]->name());
    used[it->second] = true;
    out.push_back(t);
  }
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!used[i]) out.push_back(std::move(tensors[i]));
  return out;
}

// The tensors of shards of one format (parse returns its tensors and metadata), unique by name
// across shards, in the index's order when one is given, else shard-name then file order.
template <typename Parse>
void collect_shards(ModelInput& m, const std::vector<std::unique_ptr<ByteSource>>& sources,
                    const std::optional<std::string>& index_json, Parse parse) {
  std::vector<TensorInfo> tensors;
  std::unordered_map<std::string, size_t> owner;  // tensor name -> source index
  for (size_t i = 0; i < sources.size(); ++i) {
    auto f = parse(*sources[i], i);
    for (TensorInfo& t : f.tensors) {
      const auto [it, fresh] = owner.emplace(t.name, i);
      if (!fresh)
        throw InputError("tensor '" + t.name + "' is in both " + sources[it->second]->name() + " and " +
                         sources[i]->name());
      tensors.push_back(std::move(t));
    }
    // The first shard (in name order) wins a conflicting key; shards normally agree ("format": "pt").
    m.metadata.insert(f.metadata.begin(), f.metadata.end());
  }
  m.tensors = index_json ? order_by_index(*index_json, sources, std::move(tensors)) : std::move(tensors);
}

// Which given files are the model when a Hugging Face folder comes whole (dropped on the page, or
// named on the command line): its pytorch_model*.bin hold the same weights as its *.safetensors,
// and a training run leaves training_args.bin, optimizer.pt, rng_state.pth beside them. So PyTorch
// files give way to safetensors files, and among PyTorch files the pytorch_model* ones are the
// model where there are any.
void keep_model_files(std::vector<std::unique_ptr<ByteSource>>& sources) {
  const auto is_pt = [](const auto& s) { return !is_npy(*s) && !is_gguf(*s) && is_pytorch(*s); };
  const auto is_st = [&](const auto& s) { return !is_npy(*s) && !is_gguf(*s) && !is_pytorch(*s); };
  const auto is_pt_model = [&](const auto& s) { return is_pt(s) && s->name().rfind("pytorch_model", 0) == 0; };
  const auto drop = [&](auto pred) { sources.erase(std::remove_if(sources.begin(), sources.end(), pred), sources.end()); };
  if (std::any_of(sources.begin(), sources.end(), is_st)) drop(is_pt);
  else if (std::any_of(sources.begin(), sources.end(), is_pt_model)) drop([&](const auto& s) { return is_pt(s) && !is_pt_model(s); });
}

// An ONNX model: the one .onnx file among the sources. Every other source is a candidate external
// data file, found by the file name its location ends in ("weights/w.bin" -> w.bin); the ones the
// model does not use are left out. With `folder` set (native paths), a location none of them has is
// opened from that folder, where the model is.
ModelInput onnx_input(std::vector<std::unique_ptr<ByteSource>> sources, const std::optional<std::string>& index_json,
                      const std::string& folder) {
  const auto is_model = [](const auto& s) { return is_onnx_name(s->name()); };
  const size_t count = static_cast<size_t>(std::count_if(sources.begin(), sources.end(), is_model));
  if (count > 1)
    throw InputError(std::to_string(count) + " .onnx files given; an ONNX model is one .onnx file (with its external data files)");
  if (index_json) throw InputError("a shard index (.index.json) goes with safetensors or PyTorch shards, not with an .onnx model");
  const auto model = std::find_if(sources.begin(), sources.end(), is_model);
  std::unique_ptr<ByteSource> onnx = std::move(*model);
  sources.erase(model);
  const auto find = [&](const std::string& location) -> std::unique_ptr<ByteSource> {
    const std::string name = fs::path(location).filename().string();
    for (auto& s : sources)
      if (s && s->name() == name) return std::move(s);
    std::error_code ec;
    if (!folder.empty() && fs::is_regular_file(fs::path(folder) / location, ec))
      return open_file_source((fs::path(folder) / location).string());
    return nullptr;
  };
  OnnxModel o = open_onnx(std::move(onnx), find);
  ModelInput m;
  m.format = "onnx";
  m.sources = std::move(o.sources);
  m.tensors = std::move(o.tensors);
  m.metadata = std::move(o.metadata);
  for (const auto& s : m.sources) m.total_bytes += s->size();
  return m;
}

std::string read_all(ByteSource& src, uint64_t limit, const char* what = "an index file") {
  if (src.size() > limit)
    throw InputError(src.name() + ": is " + std::to_string(src.size()) + " bytes, over the " + std::to_string(limit) +
                     "-byte limit for " + what);
  std::string text(static_cast<size_t>(src.size()), '\0');
  src.read(0, text.data(), text.size());
  return text;
}

}  // namespace

ModelInput open_model(std::vector<std::unique_ptr<ByteSource>> sources, const std::optional<std::string>& index_json) {
  if (sources.empty()) throw InputError("no model files given");
  // Name order makes shard order (and source_index) independent of how the files were listed.
  std::stable_sort(sources.begin(), sources.end(), [](const auto& a, const auto& b) { return a->name() < b->name(); });
  for (size_t i = 1; i < sources.size(); ++i)
    if (sources[i]->name() == sources[i - 1]->name())
      throw InputError("two input files are both named " + sources[i]->name());

  // A PEFT adapter's config comes with its weights (a folder dropped whole, or named on the command line).
  std::optional<std::string> adapter_config;
  const auto config = std::find_if(sources.begin(), sources.end(), [](const auto& s) { return s->name() == kAdapterConfig; });
  if (config != sources.end()) {
    adapter_config = read_all(**config, kMaxAdapterConfigBytes, "an adapter_config.json");
    sources.erase(config);
    if (sources.empty()) throw InputError("adapter_config.json given without its adapter_model.safetensors");
  }

  // ONNX first: its external data files may have any name (weights.bin, model.onnx.data).
  if (std::any_of(sources.begin(), sources.end(), [](const auto& s) { return is_onnx_name(s->name()); }))
    return onnx_input(std::move(sources), index_json, "");

  keep_model_files(sources);
  ModelInput m;
  for (const auto& s : sources) m.total_bytes += s->size();
  const size_t npy = static_cast<size_t>(std::count_if(sources.begin(), sources.end(), [](const auto& s) { return is_npy(*s); }));
  if (npy > 0) {
    if (npy != sources.size()) throw InputError("cannot mix .npy and safetensors files in one model");
    if (npy > 1)
      throw InputError(std::to_string(npy) + " .npy files given; a .npy model is one matrix, give one file");
    if (index_json) throw InputError("a shard index (.index.json) goes with safetensors shards, not with a .npy file");
    m.format = "npy";
    m.tensors.push_back(parse_npy(*sources[0], 0));
  } else if (const size_t gguf = static_cast<size_t>(std::count_if(sources.begin(), sources.end(),
                                                                   [](const auto& s) { return is_gguf(*s); }))) {
    if (gguf != sources.size()) throw InputError("cannot mix .gguf files with other model files in one model");
    if (index_json) throw InputError("a shard index (.index.json) goes with safetensors shards, not with .gguf files");
    m.format = "gguf";
    GgufModel g = open_gguf(sources);
    m.tensors = std::move(g.tensors);
    m.metadata = std::move(g.metadata);
  } else if (std::any_of(sources.begin(), sources.end(), [](const auto& s) { return is_pytorch(*s); })) {
    // keep_model_files left no safetensors file beside PyTorch ones: they are all PyTorch files.
    m.format = "pytorch";  // shards: pytorch_model-0000N-of-0000M.bin with pytorch_model.bin.index.json
    collect_shards(m, sources, index_json, [](ByteSource& s, size_t i) { return parse_pytorch(s, i); });
  } else {
    m.format = "safetensors";
    collect_shards(m, sources, index_json, [](ByteSource& s, size_t i) { return parse_safetensors(s, i); });
  }
  m.sources = std::move(sources);
  m.adapter_config = std::move(adapter_config);
  return m;
}

ModelInput open_model_paths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  std::optional<std::string> index_path, adapter_config_path;
  auto set_index = [&](const std::string& p) {
    if (index_path) throw InputError("two shard indexes given: " + *index_path + " and " + p);
    index_path = p;
  };
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      if (fs::path(path).filename() == kAdapterConfig) adapter_config_path = path;
      else if (ends_with(path, ".json")) set_index(path);
      else files.push_back(path);  // a missing file is reported by open_file_source
      continue;
    }
    std::vector<std::string> safetensors, indexes, npys, ggufs, onnx, pytorch, pytorch_indexes;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const std::string p = it->path().string();
      if (it->path().filename() == kAdapterConfig) adapter_config_path = p;
      else if (ends_with(p, ".safetensors")) safetensors.push_back(p);
      else if (ends_with(p, ".safetensors.index.json")) indexes.push_back(p);
      else if (ends_with(p, ".npy")) npys.push_back(p);
      else if (ends_with(p, ".gguf")) ggufs.push_back(p);
      else if (is_onnx_name(p)) onnx.push_back(p);
      else if (ends_with(p, ".bin.index.json")) pytorch_indexes.push_back(p);
      else if (ends_with(p, ".pt") || ends_with(p, ".pth") || ends_with(p, ".bin")) pytorch.push_back(p);
    }
    if (ec) throw InputError("cannot read folder " + path + ": " + ec.message());
    if (indexes.size() > 1) throw InputError("folder " + path + " holds several *.safetensors.index.json; give one");
    if (indexes.size() == 1) set_index(indexes[0]);  // its weight_map then picks the shards
    else if (!safetensors.empty()) files.insert(files.end(), safetensors.begin(), safetensors.end());
    else if (!ggufs.empty()) files.insert(files.end(), ggufs.begin(), ggufs.end());  // one, or the parts of a split
    else if (onnx.size() > 1) throw InputError("folder " + path + " holds " + std::to_string(onnx.size()) + " .onnx files; give one");
    else if (onnx.size() == 1) files.push_back(onnx[0]);  // its external data files are found beside it
    else if (npys.size() == 1) files.push_back(npys[0]);
    else if (npys.size() > 1)
      throw InputError("folder " + path + " holds " + std::to_string(npys.size()) + " .npy files; give one file");
    else if (pytorch_indexes.size() > 1) throw InputError("folder " + path + " holds several *.bin.index.json; give one");
    else if (pytorch_indexes.size() == 1) set_index(pytorch_indexes[0]);
    else if (!pytorch.empty()) files.insert(files.end(), pytorch.begin(), pytorch.end());  // open_model picks the model's
    else throw InputError("folder " + path + " has no .safetensors, .gguf, .onnx, PyTorch (.pt, .pth, .bin) or .npy files");
  }

  std::optional<std::string> index_json;
  if (index_path) {
    index_json = read_all(*open_file_source(*index_path), kMaxIndexBytes);
    if (files.empty()) {  // only the index given: its shards are beside it
      std::set<std::string> shards;
      for (const auto& entry : weight_map(*index_json)) shards.insert(entry.second);
      for (const std::string& s : shards) {
        if (fs::path(s).filename() != fs::path(s))
          throw InputError(std::string(kIndexWhere) + ": shard name " + s + " is not a plain file name");
        files.push_back((fs::path(*index_path).parent_path() / s).string());
      }
    }
  }
  if (files.empty()) throw InputError("no model files given");
  if (adapter_config_path) files.push_back(*adapter_config_path);  // open_model takes it out of the sources
  std::vector<std::unique_ptr<ByteSource>> sources;
  for (const std::string& f : files) sources.push_back(open_file_source(f));
  const auto onnx = std::find_if(files.begin(), files.end(), is_onnx_name);
  if (onnx != files.end()) {
    const fs::path folder = fs::path(*onnx).parent_path();
    return onnx_input(std::move(sources), index_json, folder.empty() ? "." : folder.string());
  }
  return open_model(std::move(sources), index_json);
}

namespace {

// The source holding t, checked to hold all of its bytes.
ByteSource& tensor_source(ModelInput& model, const TensorInfo& t, const std::string& where) {
  if (t.source_index >= model.sources.size())
    throw InputError(where + "refers to input file #" + std::to_string(t.source_index) + ", which does not exist");
  ByteSource& src = *model.sources[t.source_index];
  if (t.offset > src.size() || t.file_nbytes() > src.size() - t.offset)
    throw InputError(src.name() + ": " + where + "bytes [" + std::to_string(t.offset) + ", +" +
                     std::to_string(t.file_nbytes()) + ") lie past the end of the " + std::to_string(src.size()) +
                     "-byte file (did it change since it was opened?)");
  return src;
}

}  // namespace

void read_tensor_bytes(ModelInput& model, const TensorInfo& t, uint64_t at, void* dst, size_t n) {
  const std::string where = "tensor '" + t.name + "': ";
  ByteSource& src = tensor_source(model, t, where);
  if (t.onnx_encoding || t.stored_nbytes || at > t.nbytes || n > t.nbytes - at)
    throw std::logic_error("read_tensor_bytes: " + where + "not a plain range of its stored elements");
  try {
    src.read(t.offset + at, dst, n);
  } catch (const InputError& e) {
    throw InputError(where + e.what());
  }
}

std::vector<uint8_t> read_tensor(ModelInput& model, const TensorInfo& t) {
  const std::string where = "tensor '" + t.name + "': ";
  ByteSource& src = tensor_source(model, t, where);
  if (t.nbytes > std::numeric_limits<size_t>::max())
    throw InputError(src.name() + ": " + where + std::to_string(t.nbytes) + " bytes do not fit in memory here");
  std::vector<uint8_t> out;
  try {
    out.resize(static_cast<size_t>(t.nbytes));  // std::bad_alloc goes on: the analysis skips the layer
  } catch (const std::length_error&) {
    throw InputError(src.name() + ": " + where + std::to_string(t.nbytes) + " bytes do not fit in memory here");
  }
  try {
    if (t.onnx_encoding) read_onnx_tensor(src, t, out.data());  // ONNX typed fields, [in, out] weights
    else if (t.stored_nbytes) read_ggml_blocks(src, t, out.data());  // GGUF blocks, dequantized to F32 as read
    else src.read(t.offset, out.data(), out.size());
  } catch (const InputError& e) {
    throw InputError(where + e.what());
  }
  return out;
}

}  // namespace ws
