// Merging the parts of a sharded run: the 4 shards of the demo model join into the report of the
// unsharded run, and parts that do not make one run are refused with a message naming why.
#include <catch2/catch.hpp>

#include "analysis/analysis.h"
#include "analysis/model_list.h"
#include "analysis/options_json.h"
#include "report/fields.h"
#include "report/merge.h"
#include "report/summary.h"
#include "support/run_report.h"
#include "support/test_data.h"

namespace {

using Catch::Contains;
using nlohmann::json;

json analyze(ws::AnalyzeOptions opt) {
  return ws_test::run_report(ws::open_model_paths({ws_test::test_data("fixtures/ppocrv4_rec.safetensors")}), opt);
}

// The demo model unsharded and in 4 shards, analyzed once for all cases.
struct Runs {
  json whole;
  std::vector<ws::ReportPart> parts;
};

const Runs& runs() {
  static const Runs r = [] {
    Runs out;
    out.whole = analyze({});
    for (int64_t i = 0; i < 4; ++i) {
      ws::AnalyzeOptions opt;
      opt.shard = {i, 4};
      out.parts.push_back({"part" + std::to_string(i) + ".json", analyze(opt)});
    }
    return out;
  }();
  return r;
}

// A report without its timings (the fields of unit "s"), which differ from run to run.
json untimed(json r) {
  for (const ws::Field& f : ws::summary_fields())
    if (std::string(f.unit) == "s") r["summary"].erase(f.key);
  for (auto& l : r["layers"])
    for (const ws::Field& f : ws::layer_fields())
      if (std::string(f.unit) == "s") l.erase(f.key);
  return r;
}

std::vector<ws::ReportPart> parts_with(std::vector<size_t> which) {
  std::vector<ws::ReportPart> p;
  for (size_t i : which) p.push_back(runs().parts[i]);
  return p;
}

}  // namespace

TEST_CASE("merge: 4 shards of the demo model join into the unsharded report", "[merge]") {
  const Runs& r = runs();
  size_t layers = 0, skipped = 0;
  for (const auto& p : r.parts) {
    layers += p.json["layers"].size();
    skipped += p.json["skipped"].size();
    CHECK(p.json["layers"].size() >= 10);  // 41 layers dealt out 11, 10, 10, 10
    CHECK(p.json["summary"]["num_ignored"] == r.whole["summary"]["num_ignored"]);
  }
  CHECK(layers == 41);
  CHECK(skipped == r.whole["skipped"].size());

  // Given in any order.
  const json merged = ws::merge_reports(parts_with({2, 0, 3, 1}));
  CHECK_FALSE(merged.contains("shard"));
  REQUIRE(merged["layers"].size() == r.whole["layers"].size());
  for (size_t i = 0; i < merged["layers"].size(); ++i) {
    INFO("layer " << r.whole["layers"][i]["name"]);
    CHECK(untimed({{"layers", {merged["layers"][i]}}, {"summary", json::object()}}) ==
          untimed({{"layers", {r.whole["layers"][i]}}, {"summary", json::object()}}));
  }
  CHECK(merged["skipped"] == r.whole["skipped"]);
  CHECK(untimed(merged) == untimed(r.whole));
  // The summary is recomputed, not taken from a part: its means are the whole run's to the bit.
  CHECK(merged["summary"]["alpha"].get<double>() == r.whole["summary"]["alpha"].get<double>());
  CHECK(merged["summary"]["num_layers"] == 41);
  double seconds = 0;
  for (const auto& p : r.parts) seconds += p.json["summary"]["seconds"].get<double>();
  CHECK(merged["summary"]["seconds"].get<double>() == Approx(seconds));
  // One unsharded report merges into itself.
  CHECK(untimed(ws::merge_reports({{"whole.json", r.whole}})) == untimed(r.whole));
}

TEST_CASE("merge: refuses missing, overlapping and foreign shards, naming them", "[merge]") {
  CHECK_THROWS_WITH(ws::merge_reports(parts_with({0, 1, 3})), Contains("shard 2/4 is missing"));
  CHECK_THROWS_WITH(ws::merge_reports(parts_with({0})), Contains("shards 1/4, 2/4, 3/4 are missing"));
  CHECK_THROWS_WITH(ws::merge_reports(parts_with({0, 1, 1, 2, 3})),
                    Contains("shard 1/4 is given twice: part1.json and part1.json"));
  auto p = parts_with({0, 1, 2, 3});
  p[3].json["shard"] = {{"index", 0}, {"count", 3}};
  CHECK_THROWS_WITH(ws::merge_reports(p), Contains("part3.json is shard 0/3 but part0.json is shard 0/4"));
  // A shard relabelled as another: its layers overlap the real one's.
  p = parts_with({0, 1, 2, 1});
  p[3].name = "copy.json";
  p[3].json["shard"]["index"] = 3;
  CHECK_THROWS_WITH(ws::merge_reports(p), Contains("is in both part1.json and copy.json"));
  CHECK_THROWS_WITH(ws::merge_reports(std::vector<ws::ReportPart>{{"whole.json", runs().whole}, runs().parts[0]}),
                    Contains("different shard counts"));
  CHECK_THROWS_WITH(ws::merge_reports({}), Contains("at least one"));
}

TEST_CASE("merge: refuses parts of runs with other options or another model, naming the difference", "[merge]") {
  auto p = parts_with({0, 1, 2, 3});
  p[2].json["options"]["max_evals"] = 1000;
  CHECK_THROWS_WITH(ws::merge_reports(p), Contains("option max_evals differs: part0.json has 15000, part2.json has 1000"));
  p = parts_with({0, 1, 2, 3});
  p[1].json["options"].erase("fit");
  CHECK_THROWS_WITH(ws::merge_reports(p), Contains("option fit differs: part0.json has \"pl\", part1.json has nothing"));
  p = parts_with({0, 1, 2, 3});
  p[3].json["model"]["files"] = {"other.safetensors"};
  CHECK_THROWS_WITH(ws::merge_reports(p), Contains("model.files[0] differs"));
  p = parts_with({0, 1, 2, 3});
  p[1].json["generator"] = "weightscope 0.0.9";
  CHECK_THROWS_WITH(ws::merge_reports(p), Contains("generator differs"));
  p = parts_with({0, 1, 2, 3});
  p[1].json["format"] = "something";
  CHECK_THROWS_WITH(ws::merge_reports(p), Contains("part1.json: format \"something\" is not a weightscope report"));
  p = parts_with({0, 1, 2, 3});
  p[2].json.erase("summary");
  CHECK_THROWS_WITH(ws::merge_reports(p), Contains("part2.json: not a complete weightscope report"));
  p = parts_with({0, 1, 2, 3});
  p[2].json["skipped"][0].erase("index");
  CHECK_THROWS_WITH(ws::merge_reports(p), Contains("part2.json: skipped[0] has no integer \"index\""));
}

TEST_CASE("merge: report sets of a model list join in list order and keep per-model reports", "[merge]") {
  const std::vector<std::string> models = {"a.safetensors", "b/", "c.npy"};
  const json options = ws::options_to_json({});
  const json report = runs().whole;
  // Shard 0/2 took models 0 and 2 (2 failed), shard 1/2 model 1.
  const ws::ReportPart s0{"s0.json", ws::report_set(models, options, {0, 2},
                                                    {{{"list_index", 0}, {"path", "a.safetensors"}, {"report", report}},
                                                     {{"list_index", 2}, {"path", "c.npy"}, {"error", "c.npy: cannot open"}}})};
  const ws::ReportPart s1{"s1.json",
                          ws::report_set(models, options, {1, 2}, {{{"list_index", 1}, {"path", "b/"}, {"report", report}}})};
  const json merged = ws::merge_report_sets({s1, s0});
  CHECK_FALSE(merged.contains("shard"));
  CHECK(merged["models"] == models);
  REQUIRE(merged["reports"].size() == 3);
  for (size_t k = 0; k < 3; ++k) CHECK(merged["reports"][k]["list_index"] == k);
  CHECK(merged["reports"][1]["report"] == report);
  CHECK(merged["reports"][2]["error"] == "c.npy: cannot open");

  CHECK_THROWS_WITH(ws::merge_report_sets({s0}), Contains("shard 1/2 is missing"));
  ws::ReportPart bad = s1;
  bad.json["models"][2] = "d.npy";
  CHECK_THROWS_WITH(ws::merge_report_sets({s0, bad}), Contains("models[2] differs"));
  bad = s1;
  bad.json["reports"] = json::array();
  CHECK_THROWS_WITH(ws::merge_report_sets({s0, bad}), Contains("s1.json (shard 1/2) lacks the report of list entry 1 (b/)"));
  bad = s0;
  bad.json["options"]["fit"] = "tpl";
  CHECK_THROWS_WITH(ws::merge_report_sets({bad, s1}), Contains("option fit differs"));
  CHECK_THROWS_WITH(ws::merge_report_sets({s0, runs().parts[0]}), Contains("do not merge"));
  CHECK_THROWS_WITH(ws::merge_reports({s0}), Contains("do not merge"));
}

TEST_CASE("merge: split report names are unique and safe file names", "[merge]") {
  CHECK(ws::model_report_name(0, "models/resnet50.safetensors") == "0-resnet50.json");
  CHECK(ws::model_report_name(12, "/zoo/llama-7b/") == "12-llama-7b.json");
  CHECK(ws::model_report_name(3, "tfidf.npy") == "3-tfidf.json");
  CHECK(ws::model_report_name(4, "a b/c:d?.safetensors") == "4-c_d_.json");
  CHECK(ws::model_report_name(5, "/") == "5-model.json");
}
