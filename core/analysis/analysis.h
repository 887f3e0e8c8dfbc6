#pragma once
// The pipeline, one tensor per step: bytes -> tensor -> matrices -> eigenvalues -> fit -> metrics.
// The CLI and the wasm binding both drive it; neither knows what happens inside a step.
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/shard.h"
#include "fit/powerlaw_fit.h"
#include "formats/model_input.h"
#include "layers/layer_plan.h"

namespace ws {

class ThreadPool;

// report.generator: reports of different generators are not merged (report/merge.h).
inline constexpr char kGenerator[] = "weightscope 0.1.0";

struct AnalyzeOptions {
  LayerOptions layers;
  PowerLawOptions powerlaw;
  bool fit_tpl = false;        // --fit tpl: also fit the truncated power law and compare
  bool mp_fit = true;
  bool detx = true;
  bool randomize = false;      // rand_distance from the element-shuffled matrix
  uint64_t seed = 42;          // shuffle seed (splitmix64), reproducible everywhere
  bool spectra = true;         // keep plot data (histograms, KS curve, eigenvalues) per layer
  bool vectors = false;        // eigenvector metrics (weightwatcher's vectors=True)
  int threads = 0;             // 0: all cores
  bool timings = false;        // each layer's "timings": seconds per phase (util/phase_times.h)
  Shard shard;                 // the layers this run takes (analysis/shard.h); not in report.options
};

class Analysis {
 public:
  Analysis(ModelInput model, AnalyzeOptions options);
  ~Analysis();

  size_t num_tensors() const;
  size_t next_index() const;   // tensors done so far
  bool done() const;
  const ModelInput& model() const;
  // Name of the tensor the next step() reads.
  std::string next_name() const;

  // Analyzes the next tensor. Returns {"kind": "layer", "layer": {...}} or
  // {"kind": "skipped", "skipped": {...}} or {"kind": "ignored"} (not a layer candidate) or
  // {"kind": "other_shard"} (a layer of another shard: neither analyzed nor counted).
  // Bad bytes for one tensor (NaN, Inf, all zero, ...) skip that layer with a reason;
  // a broken file throws InputError.
  nlohmann::json step();

  // The report so far (schema: docs/report-schema.md).
  nlohmann::json report() const;

  // The eigenvector metrics of the analyzed layer `name`, computed now (the page's per-layer
  // "Eigenvectors" action on a report made without the vectors option; its tensor is read again):
  // {"name", the 12 vector columns, "spectra": {"loc_ratio", "part_ratio", "vec_entropy"}}, as
  // the vectors option writes them (docs/report-schema.md). Throws InputError for a name that is
  // not an analyzed layer.
  nlohmann::json layer_vectors(const std::string& name);

 private:
  struct State;
  std::unique_ptr<State> s_;
  nlohmann::json skip(size_t index, const LayerPlan& plan, const std::string& reason);
  void analyze_batch(size_t first, const LayerPlan& first_plan);
};

}  // namespace ws
