#pragma once
// The pipeline, one tensor per step: bytes -> tensor -> matrices -> eigenvalues -> fit -> metrics.
// The CLI and the wasm binding both drive it; neither knows what happens inside a step.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/shard.h"
#include "fit/powerlaw_fit.h"
#include "formats/model_input.h"
#include "layers/layer_plan.h"
#include "util/progress.h"

namespace ws {

class ThreadPool;
struct LatentSpace;

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
  // The base model of a fine-tune (option "base"): its label in report.options (the CLI's path, the
  // page's file names); the model itself is the base given to Analysis.
  std::string base;
};

class Analysis {
 public:
  // With a base model, each layer is analyzed as dW = W_model - W_base (analysis/delta_layer.h);
  // options.base, when empty, becomes the base's file names. options.base without a base model
  // is an OptionError.
  Analysis(ModelInput model, AnalyzeOptions options, std::optional<ModelInput> base = std::nullopt);
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
  // Bad bytes for one tensor (NaN, Inf, all zero, ...) skip that layer with a reason, and so does
  // running out of memory anywhere in it (std::bad_alloc: the reason gives its size and need);
  // a broken file throws InputError.
  nlohmann::json step();

  // Progress inside a long step (util/progress.h): sink is called on the thread that runs step(),
  // phase by phase, while a step analyzes one layer alone (small layers analyzed side by side
  // report nothing).
  void set_progress(ProgressSink sink);

  // The report so far (schema: docs/report-schema.md). Without entries, "layers" and "skipped" are
  // null (the page has received them one by one; they keep their place in the key order).
  nlohmann::json report(bool entries = true) const;

  // The eigenvector metrics of the analyzed layer `name`, computed now (for a report made without
  // the vectors option; its tensor is read again):
  // {"name", the 12 vector columns, "spectra": {"loc_ratio", "part_ratio", "vec_entropy"}}, as
  // the vectors option writes them (docs/report-schema.md). Throws InputError for a name that is
  // not an analyzed layer.
  nlohmann::json layer_vectors(const std::string& name);

  // The same for a layer given by its report entry ("index", "name", "status", "num_pl_spikes"),
  // e.g. from the report of an earlier Analysis over the same files: the page's per-layer
  // "Eigenvectors" action opens the files again rather than keeping a finished run alive. Throws InputError when the
  // entry's index is not a tensor of this model that plans to the entry's name.
  nlohmann::json entry_vectors(const nlohmann::json& layer);

  // The latent space of a dense layer given by its report entry (latent/latent_space.h; K = its
  // num_pl_spikes), its tensor read again: the page's latent download. Throws InputError as
  // entry_vectors does, as layer_latent_space does, or with a base model (the layer is dW).
  LatentSpace latent_space(const nlohmann::json& layer);

 private:
  struct State;
  std::unique_ptr<State> s_;
  void add_base(nlohmann::json& report) const;
  nlohmann::json skip(size_t index, const LayerPlan& plan, const std::string& reason,
                      const nlohmann::json& fields = nlohmann::json::object());
  void analyze_batch(size_t first, const LayerPlan& first_plan);
  nlohmann::json lora_step(size_t index);  // a LoRA factor's step (analysis/lora_analysis.h)
};

}  // namespace ws
