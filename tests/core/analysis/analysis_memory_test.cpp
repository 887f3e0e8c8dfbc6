// Running out of memory in one layer skips that layer with its size, and the run goes on.
#include <catch2/catch.hpp>

#include <new>

#include "analysis/analysis.h"
#include "support/test_model_builder.h"

namespace {

// Bytes in memory whose reads longer than `limit` fail as an allocation would: the memory a big
// tensor needs is not there (the wasm heap at its maximum, a native allocation refused).
class ScarceMemorySource : public ws::ByteSource {
 public:
  ScarceMemorySource(std::vector<uint8_t> bytes, size_t limit) : inner_(ws::memory_source(std::move(bytes), "model.safetensors")), limit_(limit) {}
  uint64_t size() const override { return inner_->size(); }
  std::string name() const override { return inner_->name(); }
  void read(uint64_t offset, void* dst, size_t n) override {
    if (n > limit_) throw std::bad_alloc();
    inner_->read(offset, dst, n);
  }

 private:
  std::unique_ptr<ws::ByteSource> inner_;
  size_t limit_;
};

}  // namespace

TEST_CASE("a layer that runs out of memory is skipped with its size, the next one is analyzed", "[analysis][memory]") {
  const auto bytes = wstest::safetensors_bytes({
      {"big.weight", {192, 64}, wstest::gaussian(192 * 64, 1)},   // 49152 bytes: its read fails
      {"small.weight", {64, 32}, wstest::gaussian(64 * 32, 2)},  // 8192 bytes
  });
  for (int threads : {1, 2}) {  // one layer at a time, and small layers side by side
    std::vector<std::unique_ptr<ws::ByteSource>> sources;
    sources.push_back(std::make_unique<ScarceMemorySource>(bytes, 16384));
    ws::AnalyzeOptions opt;
    opt.threads = threads;
    ws::Analysis a(ws::open_model(std::move(sources)), opt);
    CHECK(a.step()["kind"] == "skipped");
    CHECK(a.step()["kind"] == "layer");
    const nlohmann::json report = a.report();
    REQUIRE(report["skipped"].size() == 1);
    CHECK(report["skipped"][0]["name"] == "big");
    // 49152 bytes of weights and a 64 x 64 Gram matrix of doubles (32768 bytes).
    CHECK(report["skipped"][0]["reason"] ==
          "out of memory: the 192 x 64 layer needs at least 81.9 kB (49.2 kB of weights, a 32.8 kB Gram matrix)");
    REQUIRE(report["layers"].size() == 1);
    CHECK(report["layers"][0]["name"] == "small");
    CHECK(report["summary"]["complete"] == true);
  }
}
