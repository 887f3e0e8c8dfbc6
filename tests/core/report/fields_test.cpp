// The field table is the one description of the report: every key a real report carries is in it,
// every row of it shows up in some real report, the CSV has exactly its csv columns, and the
// writer refuses what the table does not describe.
#include <catch2/catch.hpp>

#include <set>
#include <sstream>

#include "analysis/analysis.h"
#include "report/csv.h"
#include "report/fields.h"
#include "support/formats_test_util.h"
#include "support/run_report.h"
#include "support/test_model_builder.h"

namespace {

nlohmann::json run(ws::ModelInput model, const ws::AnalyzeOptions& opt) { return ws_test::run_report(std::move(model), opt); }

nlohmann::json run_bytes(std::vector<uint8_t> bytes, const std::string& name, const ws::AnalyzeOptions& opt = {}) {
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(std::move(bytes), name));
  return run(ws::open_model(std::move(sources)), opt);
}

// Reports that between them carry every optional field: a real model with every option on, a
// layer whose fit fails (an orthonormal W: all eigenvalues 1), a broken layer, a lone .npy matrix,
// a quantized GGUF (quant_type).
std::vector<nlohmann::json> covering_reports() {
  ws::AnalyzeOptions all;
  all.fit_tpl = true;
  all.randomize = true;
  all.powerlaw.fix_fingers = ws::Fingers::ClipXmax;
  all.vectors = true;
  all.timings = true;
  std::vector<nlohmann::json> out;
  out.push_back(run(ws::open_model_paths({wstest::fixture("ppocrv4_rec.safetensors")}), all));
  std::vector<float> eye(64 * 32, 0.0f);
  for (int i = 0; i < 32; ++i) eye[i * 32 + i] = 1.0f;
  out.push_back(run_bytes(wstest::safetensors_bytes({{"eye.weight", {64, 32}, eye},
                                                     {"zero.weight", {64, 32}, std::vector<float>(64 * 32, 0.0f)}}),
                          "m.safetensors"));
  out.push_back(run_bytes(wstest::npy_file(wstest::dict("<f4", false, "(80, 40)"), wstest::raw(wstest::gaussian(3200, 5))),
                          "tfidf.npy"));
  out.push_back(run(ws::open_model_paths({wstest::fixture("gguf/nsfwjs_mobilenet_v2_micro_q4_k.gguf")}), {}));
  {  // a LoRA adapter with its base model (lora_*, base_tensor)
    ws::Analysis lora(ws::open_model_paths({wstest::fixture("finetune/ppocrv4_rec_lora")}), {},
                      ws::open_model_paths({wstest::fixture("ppocrv4_rec.safetensors")}));
    while (!lora.done()) lora.step();
    out.push_back(lora.report());
  }
  {  // a fine-tune against its base (alpha_base, delta_*, avg_delta_*), and an unchanged layer with a bias
    std::vector<std::unique_ptr<ws::ByteSource>> sources;
    sources.push_back(ws::memory_source(wstest::safetensors_bytes({{"fc.weight", {64, 32}, wstest::gaussian(64 * 32, 1)},
                                                                   {"fc.bias", {64}, wstest::gaussian(64, 2)}}),
                                        "base.safetensors"));
    ws::Analysis ft(ws::open_model_paths({wstest::fixture("finetune/ppocrv4_rec_ft.safetensors")}), {},
                    ws::open_model_paths({wstest::fixture("ppocrv4_rec.safetensors")}));
    while (!ft.done()) ft.step();
    out.push_back(ft.report());
    std::vector<std::unique_ptr<ws::ByteSource>> same;
    same.push_back(ws::memory_source(wstest::safetensors_bytes({{"fc.weight", {64, 32}, wstest::gaussian(64 * 32, 1)},
                                                                {"fc.bias", {64}, wstest::gaussian(64, 2)}}),
                                     "ft.safetensors"));
    ws::Analysis unchanged(ws::open_model(std::move(same)), {}, ws::open_model(std::move(sources)));
    while (!unchanged.done()) unchanged.step();
    out.push_back(unchanged.report());
  }
  return out;
}

std::set<std::string> keys_of(const std::vector<ws::Field>& fields) {
  std::set<std::string> k;
  for (const auto& f : fields) k.insert(f.key);
  return k;
}

}  // namespace

TEST_CASE("every key of real reports is a field of the table, and every field occurs", "[report]") {
  std::set<std::string> layer, summary, skipped;
  for (const auto& r : covering_reports()) {
    for (const auto& l : r["layers"])
      for (const auto& [k, v] : l.items()) layer.insert(k);
    for (const auto& [k, v] : r["summary"].items()) summary.insert(k);
    for (const auto& s : r["skipped"])
      for (const auto& [k, v] : s.items()) skipped.insert(k);
  }
  CHECK(layer == keys_of(ws::layer_fields()));
  CHECK(summary == keys_of(ws::summary_fields()));
  CHECK(skipped == keys_of(ws::skipped_fields()));
}

TEST_CASE("field keys are unique and table columns have a label", "[report]") {
  for (const auto* fields : {&ws::layer_fields(), &ws::summary_fields(), &ws::skipped_fields()})
    CHECK(keys_of(*fields).size() == fields->size());
  for (const auto& f : ws::summary_fields())
    if (f.mean) CHECK(keys_of(ws::layer_fields()).count(f.key) == 1);  // a mean of a layer field
}

TEST_CASE("the CSV has exactly the table's csv columns, in its order, with the JSON's values", "[report]") {
  const nlohmann::json report = covering_reports()[0];
  std::istringstream csv(ws::report_csv(report));
  std::string header;
  std::getline(csv, header);
  std::string want;
  for (const auto& f : ws::layer_fields())
    if (f.csv) want += (want.empty() ? "" : ",") + std::string(f.key);
  CHECK(header == want);
  // The first layer's row: same number of cells, alpha and name as in the JSON.
  std::string row;
  std::getline(csv, row);
  std::vector<std::string> cells;
  std::stringstream ss(row);
  for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
  if (row.back() == ',') cells.push_back("");
  std::vector<std::string> cols;
  std::stringstream hs(header);
  for (std::string c; std::getline(hs, c, ',');) cols.push_back(c);
  REQUIRE(cells.size() == cols.size());
  const auto at = [&](const std::string& key) {
    return cells[std::find(cols.begin(), cols.end(), key) - cols.begin()];
  };
  const auto& l0 = report["layers"][0];
  CHECK(at("name") == l0["name"].get<std::string>());
  CHECK(std::stod(at("alpha")) == l0["alpha"].get<double>());
  CHECK(std::stoll(at("num_pl_spikes")) == l0["num_pl_spikes"].get<long long>());
  size_t rows = 1;
  while (std::getline(csv, row)) ++rows;
  CHECK(rows == report["layers"].size());
}

TEST_CASE("the field writer refuses unknown keys and wrong types", "[report]") {
  ws::FieldWriter w(ws::layer_fields());
  CHECK_NOTHROW(w.set("alpha", 2.5).set("name", "x").set("shape", std::vector<int>{3, 4}));
  CHECK_THROWS_WITH(w.set("alpah", 2.5), Catch::Contains("'alpah' is not in the field table"));
  CHECK_THROWS_WITH(w.set("num_evals", 2.5), Catch::Contains("'num_evals' must be integer"));
  CHECK_THROWS_WITH(w.set("name", 3), Catch::Contains("must be string"));
  CHECK_THROWS_WITH(ws::FieldWriter(ws::summary_fields(), {{"alpha", 3.0}, {"bogus", 1}}), Catch::Contains("'bogus'"));
}

TEST_CASE("summary means are the table's means over successful fits", "[report]") {
  const nlohmann::json r = covering_reports()[1];  // one failed fit (eye), one skipped layer (zero)
  CHECK(r["summary"]["num_layers"] == 1);
  CHECK(r["summary"]["num_failed"] == 1);
  CHECK(r["summary"]["num_skipped"] == 1);
  CHECK_FALSE(r["summary"].contains("alpha"));  // no successful fit: no mean, not -1
  const nlohmann::json p = covering_reports()[0];
  double sum = 0;
  int n = 0;
  for (const auto& l : p["layers"])
    if (l["status"] == "success") sum += l["alpha_weighted"].get<double>(), ++n;
  CHECK(p["summary"]["alpha_weighted"].get<double>() == Approx(sum / n).epsilon(1e-15));
}
