#include "analysis/analysis.h"

#include <chrono>

#include "analysis/layer_analysis.h"
#include "analysis/weight_check.h"
#include "io/input_error.h"
#include "report/summary.h"
#include "util/thread_pool.h"

namespace ws {
namespace {

const char* convention_name(XminConvention c) {
  return c == XminConvention::Powerlaw ? "powerlaw" : "weightwatcher";
}

const char* fingers_name(Fingers f) {
  switch (f) {
    case Fingers::XminPeak: return "xmin_peak";
    case Fingers::ClipXmax: return "clip_xmax";
    default: return "none";
  }
}

nlohmann::json options_json(const AnalyzeOptions& o) {
  return {{"min_evals", o.layers.min_evals},
          {"max_evals", o.layers.max_evals},
          {"max_N", o.layers.max_N},
          {"conv2d_norm", o.layers.conv2d_norm},
          {"fit", o.fit_tpl ? "tpl" : "pl"},
          {"xmin_convention", convention_name(o.powerlaw.convention)},
          {"fix_fingers", fingers_name(o.powerlaw.fix_fingers)},
          {"mp_fit", o.mp_fit},
          {"detX", o.detx},
          {"randomize", o.randomize},
          {"seed", o.seed}};
}

nlohmann::json skipped_entry(const TensorInfo& t, const std::string& name, const std::string& reason) {
  return {{"name", name}, {"tensor", t.name}, {"shape", t.shape}, {"dtype", dtype_name(t.dtype)}, {"reason", reason}};
}

}  // namespace

struct Analysis::State {
  ModelInput model;
  AnalyzeOptions opt;
  ThreadPool pool;
  size_t next = 0;
  size_t ignored = 0;
  nlohmann::json layers = nlohmann::json::array();
  nlohmann::json skipped = nlohmann::json::array();
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  State(ModelInput m, AnalyzeOptions o) : model(std::move(m)), opt(o), pool(o.threads) {}
};

Analysis::Analysis(ModelInput model, AnalyzeOptions options) {
  // A lone .npy matrix is a layer whatever its name: the state-dict ".weight" rule does not apply.
  if (model.format == "npy") options.layers.require_weight_suffix = false;
  s_ = std::make_unique<State>(std::move(model), options);
}

Analysis::~Analysis() = default;

size_t Analysis::num_tensors() const { return s_->model.tensors.size(); }
size_t Analysis::next_index() const { return s_->next; }
bool Analysis::done() const { return s_->next >= s_->model.tensors.size(); }
const ModelInput& Analysis::model() const { return s_->model; }
std::string Analysis::next_name() const { return done() ? "" : s_->model.tensors[s_->next].name; }

nlohmann::json Analysis::step() {
  if (done()) return {{"kind", "done"}};
  const size_t index = s_->next++;
  const TensorInfo& t = s_->model.tensors[index];
  const LayerPlan plan = plan_layer(t, s_->opt.layers);
  if (!plan.candidate) {
    ++s_->ignored;
    return {{"kind", "ignored"}, {"tensor", t.name}};
  }
  if (!plan.analyze) {
    s_->skipped.push_back(skipped_entry(t, plan.name, plan.skip_reason));
    return {{"kind", "skipped"}, {"skipped", s_->skipped.back()}};
  }
  const std::vector<uint8_t> bytes = read_tensor(s_->model, t);
  if (auto reason = check_weights(bytes.data(), t)) {
    s_->skipped.push_back(skipped_entry(t, plan.name, *reason));
    return {{"kind", "skipped"}, {"skipped", s_->skipped.back()}};
  }
  nlohmann::json layer = analyze_layer(bytes.data(), t, plan, s_->opt, s_->pool);
  layer["index"] = index;
  s_->layers.push_back(std::move(layer));
  return {{"kind", "layer"}, {"layer", s_->layers.back()}};
}

nlohmann::json Analysis::report() const {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& src : s_->model.sources) files.push_back(src->name());
  nlohmann::json summary = summarize(s_->layers, s_->skipped.size(), s_->ignored);
  summary["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - s_->start).count();
  summary["complete"] = done();
  // A lone matrix (TF-IDF, embeddings): its latent rank K is the number of eigenpairs in the tail.
  if (s_->model.format == "npy" && s_->layers.size() == 1 && s_->layers[0]["status"] == "success")
    summary["latent_rank_K"] = s_->layers[0]["num_pl_spikes"];
  return {{"format", "weightscope-report"},
          {"version", 1},
          {"generator", "weightscope 0.1.0"},
          {"model",
           {{"files", files},
            {"format", s_->model.format},
            {"total_bytes", s_->model.total_bytes},
            {"num_tensors", s_->model.tensors.size()},
            {"metadata", s_->model.metadata}}},
          {"options", options_json(s_->opt)},
          {"summary", summary},
          {"layers", s_->layers},
          {"skipped", s_->skipped}};
}

}  // namespace ws
