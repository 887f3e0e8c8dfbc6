// The PyTorch reader: the shared torch.save fixtures (zip, legacy, f16, bf16, a training checkpoint,
// a sharded checkpoint) tensor by tensor against the safetensors files they were made from, and
// analyzed against the reference tool's results; then files written byte by byte
// (tests/core/support/pytorch_builder.h) for dtypes, views, checkpoint layouts and hostile input.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "analysis/analysis.h"
#include "formats/pytorch.h"
#include "support/formats_test_util.h"
#include "support/load_json.h"
#include "support/pytorch_builder.h"

using Catch::Contains;
using wstest::input_error;
using wstest::Pickler;
using wstest::TensorSpec;

namespace {

using ws_test::load_json;

struct Fixture {
  const char* path;         // under tests/data/fixtures/pytorch/
  const char* safetensors;  // the file its tensors come from
  const char* reference;    // tests/data/reference/<reference>.json
  const char* container;
  const char* state_dict_key;
};

const Fixture kFixtures[] = {
    {"nsfwjs_mobilenet_v2_micro.pt", "nsfwjs_mobilenet_v2.safetensors", "nsfwjs_mobilenet_v2_micro", "zip", ""},
    {"nsfwjs_mobilenet_v2_micro_legacy.pt", "nsfwjs_mobilenet_v2.safetensors", "nsfwjs_mobilenet_v2_micro", "legacy", ""},
    {"nsfwjs_mobilenet_v2_micro_checkpoint.pth", "nsfwjs_mobilenet_v2.safetensors", "nsfwjs_mobilenet_v2_micro", "zip",
     "state_dict"},
    {"nsfwjs_mobilenet_v2_micro_f16.pt", "nsfwjs_mobilenet_v2_f16.safetensors", "nsfwjs_mobilenet_v2_micro_f16", "zip", ""},
    {"nsfwjs_mobilenet_v2_micro_bf16.pt", "nsfwjs_mobilenet_v2_bf16.safetensors", "nsfwjs_mobilenet_v2_micro_bf16", "zip", ""},
    {"nsfwjs_mobilenet_v2_micro_f16_sharded", "nsfwjs_mobilenet_v2_f16.safetensors", "nsfwjs_mobilenet_v2_micro_f16", "zip", ""},
};

std::string fixture_path(const Fixture& f) { return wstest::fixture(std::string("pytorch/") + f.path); }

ws::PytorchFile parse(const std::vector<uint8_t>& bytes, const std::string& name = "model.pt") {
  auto src = ws::memory_source(bytes, name);
  return ws::parse_pytorch(*src);
}

std::string error(const std::vector<uint8_t>& bytes, const std::string& name = "model.pt") {
  return input_error([&] { parse(bytes, name); });
}

ws::ModelInput model(const std::vector<uint8_t>& bytes, const std::string& name = "model.pt") {
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(bytes, name));
  return ws::open_model(std::move(sources));
}

using wstest::analyze;

std::map<std::string, std::string> skip_reasons(const nlohmann::json& report) {
  std::map<std::string, std::string> out;
  for (const auto& s : report["skipped"]) out[s["tensor"]] = s["reason"];
  return out;
}

std::vector<uint8_t> f32_bytes(size_t n, float start) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + 0.25f * static_cast<float>(i);
  return wstest::bytes_of(v);
}

std::vector<uint8_t> slice(const std::vector<uint8_t>& v, size_t begin, size_t n) {
  return {v.begin() + static_cast<long>(begin), v.begin() + static_cast<long>(begin + n)};
}

}  // namespace

TEST_CASE("pytorch: every shared file holds its safetensors tensors bit for bit", "[formats][pytorch]") {
  const nlohmann::json manifest = load_json(ws_test::test_data("reference/pytorch_files.json"));
  for (const Fixture& f : kFixtures) {
    INFO("fixture " << f.path);
    ws::ModelInput pt = ws::open_model_paths({fixture_path(f)});
    ws::ModelInput st = ws::open_model_paths({wstest::fixture(f.safetensors)});
    CHECK(pt.format == "pytorch");
    CHECK(pt.metadata["pytorch.container"] == f.container);
    CHECK(pt.metadata.count("pytorch.stripped_prefix") == 0);
    if (*f.state_dict_key) CHECK(pt.metadata["pytorch.state_dict_key"] == f.state_dict_key);
    else CHECK(pt.metadata.count("pytorch.state_dict_key") == 0);
    const auto entry = std::find_if(manifest.begin(), manifest.end(), [&](const auto& e) {
      return e["file"].template get<std::string>().rfind(f.path, 0) == 0;
    });
    REQUIRE(entry != manifest.end());
    CHECK(pt.tensors.size() == (*entry)["num_tensors"].get<size_t>());

    std::map<std::string, const ws::TensorInfo*> source;
    for (const ws::TensorInfo& t : st.tensors) source[t.name] = &t;
    for (const ws::TensorInfo& t : pt.tensors) {
      INFO("tensor " << t.name);
      REQUIRE(source.count(t.name));
      const ws::TensorInfo& s = *source.at(t.name);
      CHECK(t.dtype == s.dtype);
      CHECK(t.shape == s.shape);
      CHECK(t.unsupported.empty());
      CHECK(read_tensor(pt, t) == read_tensor(st, s));  // same dtype: equal bytes = bit-identical values
    }
  }
}

TEST_CASE("pytorch: every shared file analyzes as the reference tool did", "[formats][pytorch]") {
  for (const Fixture& f : kFixtures) {
    INFO("fixture " << f.path);
    const nlohmann::json ref = load_json(ws_test::test_data(std::string("reference/") + f.reference + ".json"));
    const nlohmann::json report = analyze(ws::open_model_paths({fixture_path(f)}));
    std::map<std::string, nlohmann::json> ours;
    for (const auto& l : report["layers"]) ours[l["name"]] = l;
    std::set<std::string> theirs, our_skips, their_skips;
    for (const auto& l : ref["results"]["default"]["layers"]) {
      const std::string name = l["name"];
      theirs.insert(name);
      INFO("layer " << name);
      REQUIRE(ours.count(name));
      const auto& o = ours.at(name);
      CHECK(o["num_evals"] == l["num_evals"]);
      CHECK(std::abs(o["alpha"].get<double>() - l["alpha"].get<double>()) <= 1e-3);
      CHECK(std::abs(o["D"].get<double>() - l["D"].get<double>()) <= 1e-4);
      CHECK(o["lambda_max"].get<double>() == Approx(l["lambda_max"].get<double>()).epsilon(1e-6));
    }
    CHECK(ours.size() == theirs.size());
    for (const auto& s : report["skipped"]) our_skips.insert(s["name"].get<std::string>());
    for (const auto& s : ref["skipped_layers"]) their_skips.insert(s["name"].get<std::string>());
    CHECK(our_skips == their_skips);
  }
}

TEST_CASE("pytorch: float dtypes are read; integer and bool tensors are listed and skipped", "[formats][pytorch]") {
  const std::vector<uint8_t> f64 = wstest::bytes_of(std::vector<double>{1.5, -2, 3, 4.25, 5, 6});
  const std::vector<uint8_t> f32 = f32_bytes(6, -1);
  const std::vector<uint8_t> half = wstest::bytes_of(std::vector<uint16_t>{0x3c00, 0xc000, 0x3555, 1, 0x7bff, 0});
  const std::vector<uint8_t> i64 = wstest::bytes_of(std::vector<int64_t>(16, 3));
  const std::vector<uint8_t> flags(16, 1);
  const std::vector<TensorSpec> specs = {
      {"a.weight", "DoubleStorage", "0", 6, {2, 3}}, {"b.weight", "FloatStorage", "1", 6, {3, 2}},
      {"c.weight", "HalfStorage", "2", 6, {2, 3}},   {"d.weight", "BFloat16Storage", "3", 6, {6}},
      {"e.weight", "LongStorage", "4", 16, {4, 4}},  {"f.weight", "BoolStorage", "5", 16, {4, 4}}};
  const auto z = wstest::torch_zip(wstest::state_dict_pickle(specs),
                                   {{"0", f64}, {"1", f32}, {"2", half}, {"3", half}, {"4", i64}, {"5", flags}});
  ws::ModelInput m = model(z.bytes);
  REQUIRE(m.tensors.size() == 6);
  const ws::Dtype want[] = {ws::Dtype::F64, ws::Dtype::F32, ws::Dtype::F16, ws::Dtype::BF16, ws::Dtype::I64, ws::Dtype::BOOL};
  const std::vector<uint8_t>* data[] = {&f64, &f32, &half, &half, &i64, &flags};
  for (size_t i = 0; i < 6; ++i) {
    INFO("tensor " << m.tensors[i].name);
    CHECK(m.tensors[i].name == specs[i].name);
    CHECK(m.tensors[i].dtype == want[i]);
    CHECK(m.tensors[i].shape == specs[i].shape);
    CHECK(read_tensor(m, m.tensors[i]) == *data[i]);
  }
  const auto reasons = skip_reasons(analyze(std::move(m)));
  CHECK(reasons.at("e.weight") == "dtype I64 is not a float type");
  CHECK(reasons.at("f.weight") == "dtype BOOL is not a float type");
}

TEST_CASE("pytorch: views into a storage: offsets read, strided views listed as unsupported", "[formats][pytorch]") {
  const std::vector<uint8_t> data = f32_bytes(24, 0);
  const std::vector<TensorSpec> specs = {
      {"whole.weight", "FloatStorage", "0", 24, {4, 6}},
      {"tail.weight", "FloatStorage", "0", 24, {2, 5}, {}, 14},          // storage_offset 14
      {"row.weight", "FloatStorage", "0", 24, {1, 6}, {99, 1}, 6},       // size-1 dims take any stride
      {"empty.weight", "FloatStorage", "0", 24, {0, 6}, {1, 1}, 24},     // empty: contiguous, ends at the storage end
      {"transposed.weight", "FloatStorage", "0", 24, {6, 4}, {1, 6}}};   // W.t(): not contiguous
  const auto z = wstest::torch_zip(wstest::state_dict_pickle(specs), {{"0", data}});
  ws::ModelInput m = model(z.bytes);
  REQUIRE(m.tensors.size() == 5);
  CHECK(read_tensor(m, m.tensors[0]) == data);
  CHECK(read_tensor(m, m.tensors[1]) == slice(data, 14 * 4, 10 * 4));
  CHECK(read_tensor(m, m.tensors[2]) == slice(data, 6 * 4, 6 * 4));
  CHECK(m.tensors[3].nbytes == 0);
  const std::string strided = m.tensors[4].unsupported;
  CHECK(strided ==
        "strided view (shape [6, 4], stride [1, 6]) is not contiguous; weightscope reads contiguous tensors only (save it "
        "after .contiguous())");
  CHECK(skip_reasons(analyze(std::move(m))).at("transposed.weight") == strided);

  for (const TensorSpec& bad : {TensorSpec{"x", "FloatStorage", "0", 24, {2, 6}, {}, 13},
                                TensorSpec{"x", "FloatStorage", "0", 24, {5, 5}, {5, 1}},
                                TensorSpec{"x", "FloatStorage", "0", 24, {4, 6}, {1, 5}}}) {
    CHECK_THAT(error(wstest::torch_zip(wstest::state_dict_pickle({bad}), {{"0", data}}).bytes),
               Contains("model.pt: tensor 'x' (rebuilt at byte "));
    CHECK_THAT(error(wstest::torch_zip(wstest::state_dict_pickle({bad}), {{"0", data}}).bytes),
               Contains("reaches past the end of its storage '0' of 96 bytes"));
  }
  const TensorSpec huge{"x", "FloatStorage", "0", 24, {uint64_t{1} << 40, uint64_t{1} << 40}, {1, 1}};
  CHECK_THAT(error(wstest::torch_zip(wstest::state_dict_pickle({huge}), {{"0", data}}).bytes),
             Contains("overflows 64-bit arithmetic"));
}

TEST_CASE("pytorch: training checkpoints: the dict of tensors is found and its key reported", "[formats][pytorch]") {
  // {'epoch': 3, 'optimizer': {'state': {0: {'momentum_buffer': tensor}}, 'param_groups': [{'lr': 0.1, 'params': [0]}]},
  //  'model': OrderedDict('module.fc.weight': ..., 'module.fc.bias': ...)} as a DataParallel training script saves it.
  const std::vector<uint8_t> data = f32_bytes(12, 1);
  Pickler p;
  p.proto(2).op('}').mark().str("epoch").integer(3).str("optimizer").op('}').mark();
  p.str("state").op('}').integer(0).op('}').str("momentum_buffer");
  wstest::tensor(p, {"", "FloatStorage", "0", 12, {3, 4}}, false).op('s').op('s');
  p.str("param_groups").op(']').op('}').mark().str("lr").binfloat(0.1).str("params").op(']').integer(0).op('a').op('u').op('a');
  p.op('u').str("model").append(wstest::state_dict_body({{"module.fc.weight", "FloatStorage", "0", 12, {3, 4}},
                                                         {"module.fc.bias", "FloatStorage", "0", 12, {3}, {}, 9, true}}));
  p.op('u');
  const auto z = wstest::torch_zip(p.done(), {{"0", data}});
  ws::ModelInput m = model(z.bytes, "checkpoint.pth");
  REQUIRE(m.tensors.size() == 2);
  CHECK(m.tensors[0].name == "fc.weight");
  CHECK(m.tensors[1].name == "fc.bias");
  CHECK(m.metadata.at("pytorch.state_dict_key") == "model");
  CHECK(m.metadata.at("pytorch.stripped_prefix") == "module.");
  CHECK(read_tensor(m, m.tensors[1]) == slice(data, 36, 12));

  // The prefix is stripped only when every tensor has it.
  const auto mixed = parse(wstest::torch_zip(wstest::state_dict_pickle({{"module.a", "FloatStorage", "0", 12, {12}},
                                                                         {"b", "FloatStorage", "0", 12, {12}}}),
                                             {{"0", data}}).bytes);
  CHECK(mixed.tensors[0].name == "module.a");
  CHECK(mixed.metadata.count("pytorch.stripped_prefix") == 0);

  Pickler none;
  none.proto(2).op('}').mark().str("epoch").integer(3).str("lr").binfloat(0.5).op('u');
  CHECK(error(wstest::torch_zip(none.done(), {}).bytes) ==
        "model.pt: holds no tensors: the pickled dict (keys 'epoch', 'lr') has no tensor values and no dict of tensors under one key");
  CHECK_THAT(error(wstest::torch_zip(Pickler().proto(2).op(']').done(), {}).bytes),
             Contains("model.pt: the pickled object is a list, not a dict of tensors (a state dict)"));
}

TEST_CASE("pytorch: torch 2.x float8 tensors (_rebuild_tensor_v3 on an UntypedStorage)", "[formats][pytorch]") {
  Pickler p;
  p.proto(2).op('}').str("w.weight").global("torch._utils", "_rebuild_tensor_v3").mark();
  p.mark().str("storage").global("torch", "UntypedStorage").str("0").str("cpu").integer(16).op('t').op('Q');
  p.integer(0).tuple_of({4, 4}).tuple_of({4, 1}).boolean(false).ordered_dict().global("torch", "float8_e4m3fn");
  p.op('t').op('R').op('s');
  std::vector<uint8_t> data(16);
  for (size_t i = 0; i < 16; ++i) data[i] = static_cast<uint8_t>(0x30 + i);
  const auto z = wstest::torch_zip(p.done(), {{"0", data}});
  ws::ModelInput m = model(z.bytes);
  REQUIRE(m.tensors.size() == 1);
  CHECK(m.tensors[0].dtype == ws::Dtype::F8_E4M3);
  CHECK(read_tensor(m, m.tensors[0]) == data);
}

TEST_CASE("pytorch: zip archives torch would not write are refused", "[formats][pytorch]") {
  const std::vector<uint8_t> data = f32_bytes(4, 0);
  const std::vector<uint8_t> pkl = wstest::state_dict_pickle({{"a", "FloatStorage", "0", 4, {4}}, {"b", "FloatStorage", "1", 4, {4}}});
  CHECK_THAT(error(wstest::torch_zip(pkl, {{"0", data}}).bytes),
             Contains("model.pt: storage '1' (persistent id at byte ") && Contains(" of archive/data.pkl) has no record 'archive/data/1' in the zip"));
  CHECK_THAT(error(wstest::torch_zip(pkl, {{"0", data}, {"1", slice(data, 0, 12)}}).bytes),
             Contains("record 'archive/data/1' holds 12 bytes but its storage of 4 F32 elements needs 16"));
  CHECK_THAT(error(wstest::zip_archive({{"archive/data/0", data}}).bytes), Contains("zip archive has no 'archive/data.pkl'"));
  CHECK_THAT(error(wstest::zip_archive({{"data.pkl", pkl}}).bytes),
             Contains("zip entry 'data.pkl' is not in a folder; torch.save puts every record under one"));
  CHECK_THAT(error(wstest::zip_archive({{"archive/data.pkl", pkl}, {"other/data/0", data}}).bytes),
             Contains("zip entry 'other/data/0' is outside the archive folder 'archive/'"));
  CHECK_THAT(error(wstest::zip_archive({{"archive/data.pkl", pkl}, {"archive/byteorder", {'b', 'i', 'g'}}}).bytes),
             Contains("'archive/byteorder' says the tensors are stored 'big'; only little-endian files are read"));
  CHECK_THAT(error(wstest::zip_archive({}).bytes), Contains("zip archive has no entries"));
  // The pickle inside the zip is checked as any other: a refused global names data.pkl.
  CHECK(error(wstest::torch_zip(Pickler().proto(2).global("os", "system").str("rm -rf ~").op(0x85).op('R').done(), {}).bytes) ==
        "model.pt: refused pickle global 'os.system' at byte 2 of archive/data.pkl: only tensor-rebuilding globals are allowed");
  CHECK_THAT(error({'n', 'o', 'p', 'e'}), Contains("not a PyTorch file: it starts with neither a zip header (PK) nor a pickle (0x80)"));
  // A real file cut short, and one with its data.pkl entry deflated.
  std::vector<uint8_t> real = wstest::read_file(fixture_path(kFixtures[0]));
  CHECK_THAT(error({real.begin(), real.end() - 1000}), Contains("no zip end-of-central-directory record"));
  const auto deflated = wstest::torch_zip(pkl, {{"0", data}, {"1", data}});
  std::vector<uint8_t> bytes = deflated.bytes;
  wstest::patch_le(bytes, deflated.central_at[0] + 10, 8, 2);
  CHECK_THAT(error(bytes), Contains("zip entry 'archive/data.pkl' is compressed (deflate); torch writes stored entries"));
}

TEST_CASE("pytorch: zip64 archives read as the plain ones", "[formats][pytorch]") {
  const std::vector<uint8_t> data = f32_bytes(6, 2);
  const auto pkl = wstest::state_dict_pickle({{"w.weight", "FloatStorage", "0", 6, {2, 3}}});
  ws::ModelInput m = model(wstest::torch_zip(pkl, {{"0", data}}, "archive", true).bytes);
  REQUIRE(m.tensors.size() == 1);
  CHECK(read_tensor(m, m.tensors[0]) == data);
}

TEST_CASE("pytorch: the legacy format and its failures", "[formats][pytorch]") {
  const std::vector<uint8_t> a = f32_bytes(6, 1), b = f32_bytes(4, 9);
  const std::vector<TensorSpec> specs = {{"a.weight", "FloatStorage", "k1", 6, {2, 3}}, {"b.bias", "FloatStorage", "k2", 4, {4}}};
  const std::vector<uint8_t> object = wstest::state_dict_pickle(specs, true);
  const std::vector<uint8_t> file = wstest::legacy_file(object, {{"k1", 6, a}, {"k2", 4, b}});
  ws::ModelInput m = model(file, "old.pt");
  REQUIRE(m.tensors.size() == 2);
  CHECK(m.metadata.at("pytorch.container") == "legacy");
  CHECK(read_tensor(m, m.tensors[0]) == a);
  CHECK(read_tensor(m, m.tensors[1]) == b);

  CHECK_THAT(error(wstest::legacy_file(object, {{"k1", 6, a}})),
             Contains("storage 'k2' (persistent id at byte "));
  CHECK_THAT(error(wstest::legacy_file(object, {{"k1", 6, a}})),
             Contains("is missing from the file's storage-key list, so its bytes are not in the file"));
  CHECK_THAT(error(wstest::legacy_file(object, {{"k1", 6, a}, {"k2", 4, b}, {"k3", 1, {0, 0, 0, 0}}})),
             Contains("storage key 'k3' of the key list belongs to no tensor of the pickled object"));
  CHECK_THAT(error(wstest::legacy_file(object, {{"k1", 6, a}, {"k2", 5, b}})),
             Contains("storage 'k2' holds 5 elements but its persistent id says 4"));
  CHECK_THAT(error({file.begin(), file.end() - 1}), Contains("storage 'k2' of 16 bytes runs past the end of the file (truncated file?)"));
  CHECK_THAT(error({file.begin(), file.end() - 20}), Contains("storage 'k2' is cut short (truncated file?)"));
  CHECK_THAT(error({file.begin(), file.begin() + 100}),
             Contains("model.pt: pickle is cut short at byte ") && Contains(" of the file: it ends before its STOP opcode"));
  CHECK_THAT(error(wstest::legacy_file(object, {{"k1", 6, a}, {"k2", 4, b}}, false)),
             Contains("was written on a big-endian machine; only little-endian files are read"));
  CHECK_THAT(error(Pickler().proto(2).op('}').done()),
             Contains("a pickle, but not a torch.save file: it does not start with the legacy format's magic number"));
}

TEST_CASE("pytorch: pickle bombs in a real container end in a clear error", "[formats][pytorch]") {
  std::vector<uint8_t> deep = Pickler().proto(2).b;
  deep.insert(deep.end(), 100000, ']');
  deep.insert(deep.end(), 99999, 'a');
  deep.push_back('.');
  CHECK_THAT(error(wstest::torch_zip(deep, {}).bytes),
             Contains("pickle nests containers deeper than 200 levels at byte 100202 of archive/data.pkl: over the "
                      "reader's limit, which bounds hostile input (a pickle bomb?)"));
  std::vector<uint8_t> memo = Pickler().proto(2).none().op('r').b;
  wstest::put_le(memo, 100'000'000, 4);
  memo.push_back('.');
  CHECK_THAT(error(wstest::torch_zip(memo, {}).bytes), Contains("pickle memo index 100000000 at byte 3 of archive/data.pkl"));
}

TEST_CASE("pytorch: folders and shard indexes", "[formats][pytorch]") {
  // A Hugging Face checkpoint folder: the index picks the shards; training_args.bin beside them is not read.
  wstest::TempDir dir("pytorch_folder");
  const std::string sharded = wstest::fixture("pytorch/nsfwjs_mobilenet_v2_micro_f16_sharded/");
  for (const char* f : {"pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin", "pytorch_model.bin.index.json"})
    wstest::write_file(dir.path / f, wstest::read_file(sharded + f));
  wstest::write_file(dir.path / "training_args.bin", Pickler().proto(2).global("transformers", "TrainingArguments").done());
  ws::ModelInput m = ws::open_model_paths({dir.path.string()});
  CHECK(m.format == "pytorch");
  CHECK(m.tensors.size() == 11);
  CHECK(m.tensors[0].name == "Conv1.weight");  // the index's order
  CHECK(m.tensors[1].name == "bn_Conv1.beta");
  // Without the index the pytorch_model* files are still the model, in shard then file order.
  std::filesystem::remove(dir.path / "pytorch_model.bin.index.json");
  const ws::ModelInput unindexed = ws::open_model_paths({dir.path.string()});
  CHECK(unindexed.tensors.size() == 11);
  CHECK(unindexed.total_bytes == 69887 + 5230);  // the two shards (tests/data/reference/pytorch_files.json)
  // The index must name only given shards.
  std::vector<std::unique_ptr<ws::ByteSource>> one;
  one.push_back(ws::open_file_source(sharded + "pytorch_model-00001-of-00002.bin"));
  const std::vector<uint8_t> index = wstest::read_file(sharded + "pytorch_model.bin.index.json");
  CHECK_THAT(input_error([&] { ws::open_model(std::move(one), std::string(index.begin(), index.end())); }),
             Contains("names shard file(s) that were not given: pytorch_model-00002-of-00002.bin"));
  // Given with safetensors files (a Hub folder ships both), PyTorch files give way to them.
  std::vector<std::unique_ptr<ws::ByteSource>> both;
  both.push_back(ws::open_file_source(sharded + "pytorch_model-00001-of-00002.bin"));
  both.push_back(ws::memory_source(wstest::st_file("{}"), "model.safetensors"));
  const ws::ModelInput st = ws::open_model(std::move(both));
  CHECK(st.format == "safetensors");
  CHECK(st.sources.size() == 1);
  // A renamed torch.save file is found by its magic bytes.
  CHECK(model(wstest::read_file(fixture_path(kFixtures[0])), "weights.ckpt").format == "pytorch");
  CHECK(model(wstest::read_file(fixture_path(kFixtures[1])), "weights.ckpt").format == "pytorch");
}

TEST_CASE("pytorch: the fuzzer's kept seeds are valid torch.save files", "[formats][pytorch]") {
  std::vector<float> w(12);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.5f * static_cast<float>(i) - 1;
  for (const char* seed : {"legacy_small.pt", "zip64_small.pt"}) {
    INFO("seed " << seed);
    ws::ModelInput m = ws::open_model_paths({ws_test::test_data(std::string("fuzz/pytorch/") + seed)});
    REQUIRE(m.tensors.size() == 3);
    CHECK(m.tensors[0].name == "fc.weight");
    CHECK(read_tensor(m, m.tensors[0]) == wstest::bytes_of(w));
    CHECK(read_tensor(m, m.tensors[1]) == wstest::bytes_of(std::vector<uint16_t>(4, 0x3c00)));  // F16 ones
    CHECK_THAT(m.tensors[2].unsupported, Contains("strided view (shape [4, 3], stride [1, 4])"));
  }
  ws::ModelInput c = ws::open_model_paths({ws_test::test_data("fuzz/pytorch/checkpoint_small.pth")});
  REQUIRE(c.tensors.size() == 1);
  CHECK(c.tensors[0].name == "fc.weight");
  CHECK(c.metadata.at("pytorch.state_dict_key") == "model");
  CHECK(read_tensor(c, c.tensors[0]) == wstest::bytes_of(w));
}
