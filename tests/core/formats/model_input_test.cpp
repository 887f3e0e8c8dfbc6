// Models from files: single files, shards with and without an index, folders, .npy, and errors.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "formats/safetensors.h"
#include "support/formats_test_util.h"

using wstest::input_error;
using wstest::TempDir;

namespace {

struct Tensor {
  ws::TensorInfo info;
  std::vector<uint8_t> bytes;
};

const std::string kFixture = "nsfwjs_mobilenet_v2.safetensors";

std::vector<Tensor> fixture_tensors() {
  auto src = ws::open_file_source(wstest::fixture(kFixture));
  std::vector<Tensor> out;
  for (const auto& t : ws::parse_safetensors(*src).tensors) {
    std::vector<uint8_t> b(t.nbytes);
    src->read(t.offset, b.data(), b.size());
    out.push_back({t, std::move(b)});
  }
  return out;
}

std::vector<uint8_t> shard_bytes(const std::vector<Tensor>& tensors, const std::string& meta_value = "pt") {
  nlohmann::ordered_json h = {{"__metadata__", {{"format", meta_value}}}};
  uint64_t off = 0;
  for (const auto& t : tensors) {
    h[t.info.name] = {{"dtype", ws::dtype_name(t.info.dtype)}, {"shape", t.info.shape}, {"data_offsets", {off, off + t.bytes.size()}}};
    off += t.bytes.size();
  }
  std::vector<uint8_t> out = wstest::st_file(h.dump());
  for (const auto& t : tensors) out.insert(out.end(), t.bytes.begin(), t.bytes.end());
  return out;
}

std::string index_json(const std::vector<std::pair<std::string, std::string>>& map) {
  nlohmann::ordered_json j = {{"metadata", {{"total_size", 123}}}, {"weight_map", nlohmann::ordered_json::object()}};
  for (const auto& [tensor, shard] : map) j["weight_map"][tensor] = shard;
  return j.dump(2);
}

const std::string kShard1 = "model-00001-of-00002.safetensors";
const std::string kShard2 = "model-00002-of-00002.safetensors";

// The fixture split in two shards written to dir; returns the tensors in original order.
std::vector<Tensor> write_shards(const TempDir& dir) {
  std::vector<Tensor> all = fixture_tensors();
  const size_t half = all.size() / 2;
  wstest::write_file(dir / kShard1, shard_bytes({all.begin(), all.begin() + half}));
  wstest::write_file(dir / kShard2, shard_bytes({all.begin() + half, all.end()}));
  return all;
}

std::vector<std::string> names(const ws::ModelInput& m) {
  std::vector<std::string> out;
  for (const auto& t : m.tensors) out.push_back(t.name);
  return out;
}

std::vector<std::string> names(const std::vector<Tensor>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts) out.push_back(t.info.name);
  return out;
}

}  // namespace

TEST_CASE("model input: one safetensors file", "[formats]") {
  const std::string path = wstest::fixture(kFixture);
  ws::ModelInput m = ws::open_model_paths({path});
  CHECK(m.format == "safetensors");
  CHECK(m.tensors.size() == 266);
  CHECK(m.total_bytes == 10503100);
  CHECK(m.metadata.count("license"));
  const auto want = fixture_tensors();
  REQUIRE(names(m) == names(want));
  CHECK(ws::read_tensor(m, m.tensors[5]) == want[5].bytes);
}

TEST_CASE("model input: shards without an index are taken in name order, tensors in file order", "[formats]") {
  TempDir dir("noindex");
  const auto all = write_shards(dir);
  // listed in reverse: the order must not depend on it
  ws::ModelInput m = ws::open_model_paths({dir / kShard2, dir / kShard1});
  REQUIRE(m.sources.size() == 2);
  CHECK(m.sources[0]->name() == kShard1);
  CHECK(names(m) == names(all));
  CHECK(m.tensors.front().source_index == 0);
  CHECK(m.tensors.back().source_index == 1);
  CHECK(m.total_bytes == std::filesystem::file_size(dir.path / kShard1) + std::filesystem::file_size(dir.path / kShard2));
  CHECK(m.metadata.at("format") == "pt");
  CHECK(ws::read_tensor(m, m.tensors.back()) == all.back().bytes);
  CHECK(ws::read_tensor(m, m.tensors[140]) == all[140].bytes);
  // a folder gives the same model
  CHECK(names(ws::open_model_paths({dir.path.string()})) == names(all));
}

TEST_CASE("model input: an index orders tensors by its weight_map", "[formats]") {
  TempDir dir("index");
  const auto all = write_shards(dir);
  const size_t half = all.size() / 2;
  std::vector<std::pair<std::string, std::string>> map;
  for (size_t i = all.size(); i-- > 0;) map.emplace_back(all[i].info.name, i < half ? kShard1 : kShard2);
  wstest::write_file(dir / "model.safetensors.index.json", index_json(map));
  std::vector<std::string> reversed = names(all);
  std::reverse(reversed.begin(), reversed.end());

  SECTION("shards and index given") {
    CHECK(names(ws::open_model_paths({dir / kShard1, dir / "model.safetensors.index.json", dir / kShard2})) == reversed);
  }
  SECTION("only the index: shards are found beside it") {
    ws::ModelInput m = ws::open_model_paths({dir / "model.safetensors.index.json"});
    CHECK(names(m) == reversed);
    CHECK(ws::read_tensor(m, m.tensors[0]) == all.back().bytes);
  }
  SECTION("the folder: its index picks the shards, a stray consolidated file is ignored") {
    wstest::write_file(dir / "model.safetensors", shard_bytes(all));
    CHECK(names(ws::open_model_paths({dir.path.string()})) == reversed);
  }
  SECTION("tensors the map leaves out are appended in file order") {
    map.erase(map.begin());  // the last tensor
    map.erase(map.end() - 1);  // the first tensor
    std::vector<std::string> want(reversed.begin() + 1, reversed.end() - 1);
    want.push_back(all.front().info.name);
    want.push_back(all.back().info.name);
    CHECK(names(ws::open_model(
              [&] {
                std::vector<std::unique_ptr<ws::ByteSource>> s;
                s.push_back(ws::open_file_source(dir / kShard1));
                s.push_back(ws::open_file_source(dir / kShard2));
                return s;
              }(),
              index_json(map))) == want);
  }
}

TEST_CASE("model input: index and shard errors", "[formats]") {
  TempDir dir("errors");
  const auto all = write_shards(dir);
  const size_t half = all.size() / 2;
  auto sources = [&](std::vector<std::string> files) {
    std::vector<std::unique_ptr<ws::ByteSource>> s;
    for (const auto& f : files) s.push_back(ws::open_file_source(dir / f));
    return s;
  };
  std::vector<std::pair<std::string, std::string>> map;
  for (size_t i = 0; i < all.size(); ++i) map.emplace_back(all[i].info.name, i < half ? kShard1 : kShard2);

  SECTION("a shard named by the index is missing") {
    const auto m = input_error([&] { ws::open_model(sources({kShard1}), index_json(map)); });
    CHECK_THAT(m, Catch::Contains("names shard file(s) that were not given: " + kShard2));
    std::filesystem::remove(dir.path / kShard2);
    wstest::write_file(dir / "model.safetensors.index.json", index_json(map));
    CHECK_THAT(input_error([&] { ws::open_model_paths({dir.path.string()}); }),
               Catch::Contains("cannot open " + (dir / kShard2) + ": No such file or directory"));
  }
  SECTION("the index maps a tensor to the wrong shard, or to one without it") {
    map[0].second = kShard2;
    CHECK_THAT(input_error([&] { ws::open_model(sources({kShard1, kShard2}), index_json(map)); }),
               Catch::Contains("maps tensor '" + all[0].info.name + "' to " + kShard2 + " but it is in " + kShard1));
    map[0] = {"ghost.weight", kShard1};
    CHECK_THAT(input_error([&] { ws::open_model(sources({kShard1, kShard2}), index_json(map)); }),
               Catch::Contains("maps tensor 'ghost.weight' to " + kShard1 + ", which has no such tensor"));
  }
  SECTION("malformed index json") {
    const auto open = [&](const std::string& json) { ws::open_model(sources({kShard1, kShard2}), json); };
    CHECK_THAT(input_error([&] { open("{\"weight_map\": {\"a\": \"x\", \"a\": \"y\"}}"); }), Catch::Contains("key 'a' appears twice"));
    CHECK_THAT(input_error([&] { open("{\"metadata\": {}}"); }), Catch::Contains("has no \"weight_map\" object"));
    CHECK_THAT(input_error([&] { open("{\"weight_map\": {\"a\": 1}}"); }), Catch::Contains("entry for 'a' is not a file name"));
    CHECK_THAT(input_error([&] { open("{\"weight_map\": "); }), Catch::Contains("not valid JSON"));
    CHECK_THAT(input_error([&] { open(std::string(100000, '[')); }), Catch::Contains("nests deeper than 64 levels"));
    CHECK_THAT(input_error([&] { open(std::string("{}\0{", 4)); }), Catch::Contains("NUL byte"));
  }
  SECTION("a tensor in two shards") {
    wstest::write_file(dir / "extra.safetensors", shard_bytes({all[3]}));
    CHECK_THAT(input_error([&] { ws::open_model(sources({kShard1, kShard2, "extra.safetensors"})); }),
               Catch::Contains("tensor '" + all[3].info.name + "' is in both extra.safetensors and " + kShard1));
  }
  SECTION("a broken shard names itself") {
    auto bytes = wstest::read_file(dir / kShard2);
    bytes.pop_back();
    wstest::write_file(dir / kShard2, bytes);
    CHECK_THAT(input_error([&] { ws::open_model_paths({dir.path.string()}); }),
               Catch::StartsWith(kShard2 + ": file is") && Catch::Contains("(truncated file?)"));
  }
  SECTION("the same file twice, an empty list, a missing path, a folder with nothing in it") {
    CHECK_THAT(input_error([&] { ws::open_model_paths({dir / kShard1, dir / kShard1}); }),
               Catch::Contains("two input files are both named " + kShard1));
    CHECK_THAT(input_error([&] { ws::open_model_paths({}); }), Catch::Contains("no model files given"));
    CHECK_THAT(input_error([&] { ws::open_model_paths({dir / "nope.safetensors"}); }),
               Catch::Equals("cannot open " + (dir / "nope.safetensors") + ": No such file or directory"));
    std::filesystem::create_directory(dir.path / "empty");
    CHECK_THAT(input_error([&] { ws::open_model_paths({dir / "empty"}); }), Catch::Contains("has no .safetensors, .gguf,"));
  }
}

TEST_CASE("model input: read_tensor names the tensor when its bytes are gone", "[formats]") {
  TempDir dir("shrink");
  const auto all = write_shards(dir);
  ws::ModelInput m = ws::open_model_paths({dir / kShard1});
  // the file shrinks after it was opened and validated
  std::filesystem::resize_file(dir.path / kShard1, std::filesystem::file_size(dir.path / kShard1) - 10);
  const ws::TensorInfo last = m.tensors.back();
  CHECK_THAT(input_error([&] { ws::read_tensor(m, last); }),
             Catch::StartsWith("tensor '" + last.name + "': " + kShard1 + ": byte ") && Catch::Contains("the file ends after"));
  ws::TensorInfo bogus = last;
  bogus.offset = m.sources[0]->size();
  CHECK_THAT(input_error([&] { ws::read_tensor(m, bogus); }), Catch::Contains("lie past the end"));
}

TEST_CASE("model input: .npy files", "[formats]") {
  TempDir dir("npy");
  // header of np.save(np.zeros((2, 2), '<f4')): 128 bytes, then 16 data bytes
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  header.resize(117, ' ');
  header += '\n';
  std::vector<uint8_t> npy = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0};
  npy.insert(npy.end(), header.begin(), header.end());
  npy.resize(npy.size() + 16, 0);
  wstest::write_file(dir / "w.npy", npy);

  ws::ModelInput m = ws::open_model_paths({dir.path.string()});
  CHECK(m.format == "npy");
  REQUIRE(m.tensors.size() == 1);
  CHECK(m.tensors[0].name == "w");
  CHECK(m.tensors[0].shape == std::vector<uint64_t>{2, 2});
  CHECK(m.total_bytes == 144);
  CHECK(ws::read_tensor(m, m.tensors[0]).size() == 16);

  wstest::write_file(dir / "renamed.bin", npy);  // recognised by its magic bytes
  CHECK(ws::open_model_paths({dir / "renamed.bin"}).format == "npy");

  wstest::write_file(dir / "v.npy", npy);
  CHECK_THAT(input_error([&] { ws::open_model_paths({dir.path.string()}); }), Catch::Contains("holds 2 .npy files"));
  CHECK_THAT(input_error([&] { ws::open_model_paths({dir / "w.npy", dir / "v.npy"}); }), Catch::Contains("2 .npy files given"));
  CHECK_THAT(input_error([&] { ws::open_model_paths({dir / "w.npy", wstest::fixture(kFixture)}); }),
             Catch::Contains("cannot mix .npy and safetensors"));
}

TEST_CASE("model input: a LoRA adapter's adapter_config.json travels with its weights", "[formats][lora]") {
  const std::string dir = wstest::fixture("finetune/ppocrv4_rec_lora");
  const std::string config = dir + "/adapter_config.json", weights = dir + "/adapter_model.safetensors";
  // The folder, the two files, and the page's way: opened sources.
  for (const std::vector<std::string>& paths : {std::vector<std::string>{dir}, {weights, config}}) {
    const ws::ModelInput m = ws::open_model_paths(paths);
    REQUIRE(m.adapter_config);
    CHECK(m.adapter_config->find("\"lora_alpha\": 32") != std::string::npos);
    CHECK(m.tensors.size() == 18);
    CHECK(m.sources.size() == 1);
    CHECK(m.total_bytes == 617944);
  }
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::open_file_source(config));
  sources.push_back(ws::open_file_source(weights));
  CHECK(ws::open_model(std::move(sources)).adapter_config);
  CHECK_FALSE(ws::open_model_paths({weights}).adapter_config);

  CHECK(input_error([&] { ws::open_model_paths({config}); }) == "no model files given");
  std::vector<std::unique_ptr<ws::ByteSource>> alone;
  alone.push_back(ws::open_file_source(config));
  CHECK_THAT(input_error([&] { ws::open_model(std::move(alone)); }), Catch::Contains("without its adapter_model.safetensors"));
  std::vector<std::unique_ptr<ws::ByteSource>> huge;
  huge.push_back(ws::memory_source(std::vector<uint8_t>(2'000'000, ' '), "adapter_config.json"));
  huge.push_back(ws::open_file_source(weights));
  CHECK_THAT(input_error([&] { ws::open_model(std::move(huge)); }), Catch::Contains("over the 1000000-byte limit for an adapter_config.json"));
}
