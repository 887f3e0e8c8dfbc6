// Sharding a run: the shards partition the layers and skipped entries, deal the analyzed layers out
// evenly, and the index comes from --shard or a batch engine's environment.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "analysis/analysis.h"
#include "analysis/options_json.h"
#include "analysis/shard.h"
#include "support/test_data.h"
#include "support/test_model_builder.h"

namespace {

using Catch::Contains;
using Env = std::map<std::string, std::string>;

std::optional<ws::Shard> from_env(const Env& env, std::optional<int64_t> count = std::nullopt) {
  std::string source;
  return ws::shard_from_environment(
      [&](const char* name) { auto it = env.find(name); return it == env.end() ? nullptr : it->second.c_str(); },
      count, &source);
}

}  // namespace

TEST_CASE("shard: the shards of the demo model partition its layer tensors, analyzed ones dealt out evenly", "[shard]") {
  const ws::ModelInput model = ws::open_model_paths({ws_test::test_data("fixtures/ppocrv4_rec.safetensors")});
  const ws::LayerOptions gates;
  size_t candidates = 0, admitted = 0;
  for (const auto& t : model.tensors) {
    const ws::LayerPlan p = ws::plan_layer(t, gates);
    candidates += p.candidate;
    admitted += p.analyze;
  }
  REQUIRE(admitted == 41);  // the unsharded run analyzes 41 layers (tests/cli/cli_test.sh)
  for (const int64_t n : {1, 2, 3, 4, 7, 41, 50}) {
    std::vector<int> owners(model.tensors.size(), 0);
    std::vector<size_t> analyzed(n, 0);
    for (int64_t i = 0; i < n; ++i) {
      const std::vector<bool> mine = ws::shard_members(model.tensors, gates, {i, n});
      for (size_t t = 0; t < model.tensors.size(); ++t) {
        const ws::LayerPlan p = ws::plan_layer(model.tensors[t], gates);
        if (!p.candidate) {
          CHECK(mine[t]);  // not a layer: every shard counts it as ignored
          continue;
        }
        owners[t] += mine[t];
        analyzed[i] += mine[t] && p.analyze;
      }
    }
    for (size_t t = 0; t < model.tensors.size(); ++t)
      if (ws::plan_layer(model.tensors[t], gates).candidate) CHECK(owners[t] == 1);
    for (int64_t i = 0; i < n; ++i) {
      INFO("shard " << i << "/" << n);
      // Round robin: the first 41 mod n shards get one more.
      CHECK(analyzed[i] == 41 / n + (i < 41 % n ? 1 : 0));
    }
  }
}

TEST_CASE("shard: a skipped layer tensor goes with the next analyzed one", "[shard]") {
  std::vector<ws::TensorInfo> t(6);
  const std::vector<std::vector<uint64_t>> shapes = {{64, 32}, {64}, {64, 32}, {3, 2}, {64, 32}, {64, 32}};
  const char* names[] = {"a.weight", "norm.weight", "b.weight", "tiny.weight", "c.bias", "d.weight"};
  for (size_t i = 0; i < t.size(); ++i) {
    t[i].name = names[i];
    t[i].shape = shapes[i];
  }
  // Admitted: a (k=0), b (k=1), d (k=2); norm and tiny are skipped (rank 1, too few eigenvalues);
  // c.bias is no layer.
  CHECK(ws::shard_members(t, {}, {0, 2}) == std::vector<bool>{true, false, false, true, true, true});
  CHECK(ws::shard_members(t, {}, {1, 2}) == std::vector<bool>{false, true, true, false, true, false});
}

TEST_CASE("shard: a sharded analysis reports its shard and leaves the other shards' layers out", "[shard]") {
  std::vector<wstest::F32Tensor> tensors;
  for (int i = 0; i < 5; ++i) tensors.push_back({"l" + std::to_string(i) + ".weight", {40, 20}, wstest::gaussian(800, i)});
  tensors.push_back({"l0.bias", {40}, wstest::gaussian(40, 9)});
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(wstest::safetensors_bytes(tensors), "m.safetensors"));
  ws::AnalyzeOptions opt;
  opt.shard = {1, 2};
  opt.spectra = false;
  ws::Analysis a(ws::open_model(std::move(sources)), opt);
  std::vector<std::string> kinds;
  while (!a.done()) kinds.push_back(a.step()["kind"]);
  CHECK(kinds == std::vector<std::string>{"other_shard", "layer", "other_shard", "layer", "other_shard", "ignored"});
  const nlohmann::json r = a.report();
  CHECK(r["shard"] == nlohmann::json{{"index", 1}, {"count", 2}});
  CHECK(r["layers"][0]["index"] == 1);
  CHECK(r["layers"][1]["index"] == 3);
  CHECK(r["summary"]["num_layers"] == 2);
  CHECK(r["summary"]["num_ignored"] == 1);  // the bias, as the whole run counts it
  CHECK_FALSE(r["options"].contains("shard"));  // options are equal across shards
  opt.shard = {};
  CHECK_FALSE(ws::Analysis(ws::open_model([&] {
                std::vector<std::unique_ptr<ws::ByteSource>> s;
                s.push_back(ws::memory_source(wstest::safetensors_bytes(tensors), "m.safetensors"));
                return s;
              }()), opt).report().contains("shard"));
}

TEST_CASE("shard: --shard I/N parses, and refuses what is not a shard", "[shard]") {
  CHECK(ws::parse_shard("2/4") == ws::Shard{2, 4});
  CHECK(ws::parse_shard("0/1") == ws::Shard{0, 1});
  for (const char* bad : {"4/4", "1", "1/", "/4", "-1/4", "1/0", "a/b", " 1/4", "1/4x"})
    CHECK_THROWS_AS(ws::parse_shard(bad), ws::OptionError);
  CHECK_THROWS_WITH(ws::parse_shard("5/4"), Contains("index 5 of 4"));
}

TEST_CASE("shard: the index comes from Slurm's or Kubernetes' environment, only when set", "[shard]") {
  CHECK_FALSE(from_env({}));
  CHECK_FALSE(from_env({{"SLURM_JOB_ID", "12"}}));  // a Slurm job that is not an array task
  CHECK(from_env({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}) == ws::Shard{3, 4});
  // --array=1-4: ids from 1; --array=0-12:4: ids 0, 4, 8, 12 (MAX known, COUNT not).
  CHECK(from_env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "4"}}) ==
        ws::Shard{0, 4});
  CHECK(from_env({{"SLURM_ARRAY_TASK_ID", "8"}, {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "12"},
                  {"SLURM_ARRAY_TASK_STEP", "4"}}) == ws::Shard{2, 4});
  CHECK_THROWS_WITH(from_env({{"SLURM_ARRAY_TASK_ID", "3"}}), Contains("SLURM_ARRAY_TASK_COUNT"));
  CHECK_THROWS_WITH(from_env({{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}),
                    Contains("SLURM_ARRAY_TASK_ID is 'x'"));
  // --array=0,3,7: three tasks whose ids are no range.
  CHECK_THROWS_WITH(from_env({{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}),
                    Contains("does not make a shard"));
  CHECK_THROWS_WITH(from_env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}, 3), Contains("disagrees"));

  CHECK(from_env({{"JOB_COMPLETION_INDEX", "2"}}, 3) == ws::Shard{2, 3});
  CHECK(from_env({{"JOB_COMPLETION_INDEX", "2"}, {"WEIGHTSCOPE_SHARD_COUNT", "5"}}) == ws::Shard{2, 5});
  CHECK(from_env({{"JOB_COMPLETION_INDEX", "2"}, {"WEIGHTSCOPE_SHARD_COUNT", "5"}}, 3) == ws::Shard{2, 3});
  CHECK_THROWS_WITH(from_env({{"JOB_COMPLETION_INDEX", "2"}}), Contains("--shard-count"));
  CHECK_THROWS_WITH(from_env({{"JOB_COMPLETION_INDEX", "3"}}, 3), Contains("index 3 of 3"));
}
