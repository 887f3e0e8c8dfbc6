#include "analysis/analysis.h"

#include <chrono>
#include <cstdint>
#include <exception>
#include <map>

#include "analysis/layer_analysis.h"
#include "analysis/options_json.h"
#include "analysis/weight_check.h"
#include "io/input_error.h"
#include "report/fields.h"
#include "report/summary.h"
#include "util/thread_pool.h"

namespace ws {
namespace {

nlohmann::json skipped_entry(size_t index, const TensorInfo& t, const std::string& name, const std::string& reason) {
  FieldWriter w(skipped_fields());
  w.set("index", index).set("name", name).set("tensor", t.name).set("shape", t.shape).set("dtype", t.storage.empty() ? dtype_name(t.dtype) : t.storage).set("reason", reason);
  return w.take();
}

// Layers this small are analyzed several at once, one per thread (see Analysis::step): their
// eigenproblems are too small to keep two threads busy (GPT-2's 768 x 3072 runs 1.6x faster on two
// threads than on one, two such layers side by side 2x), and holding a few of them costs little.
constexpr int64_t kBatchMaxM = 1536;
constexpr uint64_t kBatchMaxBytes = 128ull << 20;  // all tensors of one batch together

// A layer analyzed ahead of its step: its entry, the reason it was skipped, or the error its
// bytes raised, handed out when its step comes so results and errors keep the model's order.
struct Ahead {
  nlohmann::json layer;
  std::string skip_reason;
  std::exception_ptr error;
};

}  // namespace

struct Analysis::State {
  ModelInput model;
  AnalyzeOptions opt;
  ThreadPool pool;
  size_t next = 0;
  size_t ignored = 0;
  std::vector<bool> in_shard;  // per tensor (analysis/shard.h)
  std::map<size_t, Ahead> ahead;
  nlohmann::json layers = nlohmann::json::array();
  nlohmann::json skipped = nlohmann::json::array();
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  State(ModelInput m, AnalyzeOptions o)
      : model(std::move(m)), opt(o), pool(o.threads), in_shard(shard_members(model.tensors, o.layers, o.shard)) {}
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
  if (!s_->in_shard[index]) return {{"kind", "other_shard"}, {"tensor", t.name}};
  if (!plan.analyze) return skip(index, plan, plan.skip_reason);

  auto found = s_->ahead.find(index);
  if (found == s_->ahead.end()) {
    analyze_batch(index, plan);
    found = s_->ahead.find(index);
  }
  Ahead a = std::move(found->second);
  s_->ahead.erase(found);
  if (a.error) std::rethrow_exception(a.error);
  if (!a.skip_reason.empty()) return skip(index, plan, a.skip_reason);
  s_->layers.push_back(FieldWriter(layer_fields(), std::move(a.layer)).set("index", index).take());
  return {{"kind", "layer"}, {"layer", s_->layers.back()}};
}

nlohmann::json Analysis::skip(size_t index, const LayerPlan& plan, const std::string& reason) {
  s_->skipped.push_back(skipped_entry(index, s_->model.tensors[index], plan.name, reason));
  return {{"kind", "skipped"}, {"skipped", s_->skipped.back()}};
}

// Analyzes the layer at `first` and stores it in s_->ahead. When it is small, the next small layers
// (up to one per thread, skipping tensors that are not analyzed) go with it, one per thread, their
// parallel_for calls running inline. Bytes are read here on the calling thread, in model order (the
// browser's File reads must stay on the thread that owns the File).
void Analysis::analyze_batch(size_t first, const LayerPlan& first_plan) {
  const auto small = [&](const TensorInfo& t, const LayerPlan& p) {
    return p.M <= kBatchMaxM && t.nbytes <= kBatchMaxBytes;
  };
  std::vector<std::pair<size_t, LayerPlan>> batch{{first, first_plan}};
  uint64_t bytes = s_->model.tensors[first].nbytes;
  if (s_->pool.size() > 1 && small(s_->model.tensors[first], first_plan)) {
    for (size_t k = first + 1; k < s_->model.tensors.size() && batch.size() < static_cast<size_t>(s_->pool.size()); ++k) {
      const TensorInfo& t = s_->model.tensors[k];
      LayerPlan p = plan_layer(t, s_->opt.layers);
      if (!p.analyze || !s_->in_shard[k]) continue;
      if (!small(t, p) || bytes + t.nbytes > kBatchMaxBytes) break;
      bytes += t.nbytes;
      batch.emplace_back(k, std::move(p));
    }
  }
  // Read and check in model order. The first layer's read error is this step's; a later one is
  // kept for its own step (the layers before it still come out) and ends the batch.
  std::vector<std::vector<uint8_t>> data(batch.size());
  std::vector<PhaseTimes> times(batch.size());
  std::vector<size_t> run;
  for (size_t b = 0; b < batch.size(); ++b) {
    const auto& [index, plan] = batch[b];
    const TensorInfo& t = s_->model.tensors[index];
    PhaseClock clock(s_->opt.timings ? &times[b] : nullptr);
    try {
      data[b] = read_tensor(s_->model, t);
    } catch (...) {
      if (b == 0) throw;
      s_->ahead[index].error = std::current_exception();
      break;
    }
    clock.lap(&PhaseTimes::read);
    if (auto reason = check_weights(data[b].data(), t)) {
      s_->ahead[index].skip_reason = *reason;
      continue;
    }
    clock.lap(&PhaseTimes::decode);
    s_->ahead[index];  // created here: the threads below only look their entries up
    run.push_back(b);
  }
  const auto analyze = [&](size_t r) {
    const auto& [index, plan] = batch[run[r]];
    Ahead& a = s_->ahead.at(index);
    try {
      a.layer = analyze_layer(data[run[r]].data(), s_->model.tensors[index], plan, s_->opt, s_->pool, times[run[r]]);
    } catch (...) {
      a.error = std::current_exception();
    }
  };
  if (run.size() == 1) {
    analyze(0);  // alone: the layer's own parallel_for calls use the whole pool
    return;
  }
  s_->pool.parallel_for(static_cast<int64_t>(run.size()), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) analyze(static_cast<size_t>(r));
  });
}

nlohmann::json Analysis::layer_vectors(const std::string& name) {
  for (const auto& l : s_->layers) {
    if (l.at("name") != name) continue;
    const TensorInfo& t = s_->model.tensors.at(l.at("index").get<size_t>());
    const std::vector<uint8_t> data = read_tensor(s_->model, t);
    const bool ok = l.at("status") == "success";
    const size_t num_tail = ok ? l.at("num_pl_spikes").get<size_t>() : SIZE_MAX;
    return layer_vector_fields(data.data(), t, plan_layer(t, s_->opt.layers), s_->opt, num_tail, s_->pool);
  }
  throw InputError("no analyzed layer is named '" + name + "'");
}

nlohmann::json Analysis::report() const {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& src : s_->model.sources) files.push_back(src->name());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s_->start).count();
  nlohmann::json report = {{"format", "weightscope-report"},
          {"version", 1},
          {"generator", kGenerator},
          {"model",
           {{"files", files},
            {"format", s_->model.format},
            {"total_bytes", s_->model.total_bytes},
            {"num_tensors", s_->model.tensors.size()},
            {"metadata", s_->model.metadata}}},
          {"options", options_to_json(s_->opt)},
          {"summary", run_summary(s_->model.format, s_->layers, s_->skipped.size(), s_->ignored, seconds, done())},
          {"layers", s_->layers},
          {"skipped", s_->skipped}};
  // A part of a sharded run says which, for merge (report/merge.h); the whole run has no "shard".
  if (s_->opt.shard.count > 1) report["shard"] = shard_to_json(s_->opt.shard);
  return report;
}

}  // namespace ws
