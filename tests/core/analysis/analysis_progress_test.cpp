// A layer analyzed alone reports its phases, each fraction rising to 1, on the stepping thread.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "analysis/analysis.h"
#include "support/test_model_builder.h"

TEST_CASE("a big layer reports read, gram, reduction, eigenvalues and fit in order", "[analysis][progress]") {
  // 1600 columns: above the side-by-side batch size, and the two-stage reduction.
  const auto bytes = wstest::safetensors_bytes({{"big.weight", {2400, 1600}, wstest::gaussian(2400 * 1600, 3)},
                                                {"small.weight", {64, 32}, wstest::gaussian(64 * 32, 4)}});
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  sources.push_back(ws::memory_source(bytes, "model.safetensors"));
  ws::AnalyzeOptions opt;
  opt.threads = 2;
  ws::Analysis a(ws::open_model(std::move(sources)), opt);
  std::vector<std::pair<std::string, double>> seen;
  const std::thread::id me = std::this_thread::get_id();
  bool other_thread = false;
  a.set_progress([&](const char* phase, double f) {
    other_thread = other_thread || std::this_thread::get_id() != me;
    seen.emplace_back(phase, f);
  });
  CHECK(a.step()["kind"] == "layer");
  CHECK_FALSE(other_thread);
  std::vector<std::string> phases;
  std::map<std::string, double> last;
  for (const auto& [phase, f] : seen) {
    if (phases.empty() || phases.back() != phase) phases.push_back(phase);
    CHECK(f >= last[phase]);  // never backwards
    CHECK(f <= 1.0);
    last[phase] = f;
  }
  CHECK(phases == std::vector<std::string>{"read", "gram", "reduction", "eigenvalues", "fit"});
  CHECK(last["gram"] == 1.0);
  CHECK(last["reduction"] == 1.0);
  CHECK(std::count_if(seen.begin(), seen.end(), [](const auto& p) { return p.first == "gram"; }) == 10);  // 2400 / 256 slices
  CHECK(std::count_if(seen.begin(), seen.end(), [](const auto& p) { return p.first == "reduction"; }) > 10);
  seen.clear();
  CHECK(a.step()["kind"] == "layer");  // small layers report too when alone
  CHECK_FALSE(seen.empty());
}
