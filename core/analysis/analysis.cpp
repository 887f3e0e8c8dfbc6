#include "analysis/analysis.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <unordered_map>
#include <new>

#include "analysis/delta_layer.h"
#include "analysis/layer_analysis.h"
#include "analysis/lora_analysis.h"
#include "analysis/options_json.h"
#include "analysis/streamed_layer.h"
#include "analysis/weight_check.h"
#include "io/input_error.h"
#include "latent/latent_space.h"
#include "report/fields.h"
#include "report/summary.h"
#include "util/thread_pool.h"

namespace ws {
namespace {

nlohmann::json skipped_entry(size_t index, const TensorInfo& t, const std::string& name, const std::string& reason,
                             const nlohmann::json& extra = nlohmann::json::object()) {
  FieldWriter w(skipped_fields(), extra);
  w.set("index", index).set("name", name).set("tensor", t.name).set("shape", t.shape).set("dtype", t.storage.empty() ? dtype_name(t.dtype) : t.storage).set("reason", reason);
  return w.take();
}

// Bytes with three significant digits, in decimal units ("81.9 kB", "4.80 GB").
std::string readable_bytes(double bytes) {
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB"};
  int u = 0;
  for (; bytes >= 1000 && u < 4; ++u) bytes /= 1000;
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.3g %s", bytes, units[u]);
  return text;
}

// The skip reason of a layer that ran out of memory: its size and what it needs at least, the
// weights it holds (all of them, or one panel when streamed: analysis/streamed_layer.h) and the Gram
// matrix of its smaller side in double (spectrum/gram.h).
std::string out_of_memory_reason(const TensorInfo& t, const LayerPlan& plan, uint64_t resident) {
  const double weights = static_cast<double>(resident);
  const double gram = 8.0 * static_cast<double>(plan.M) * static_cast<double>(plan.M);
  const std::string held = resident < t.nbytes ? "a " + readable_bytes(weights) + " panel of its " +
                                                     readable_bytes(static_cast<double>(t.nbytes)) + " of weights"
                                               : readable_bytes(weights) + " of weights";
  return "out of memory: the " + std::to_string(plan.N) + " x " + std::to_string(plan.M) + " layer needs at least " +
         readable_bytes(weights + gram) + " (" + held + ", a " + readable_bytes(gram) + " Gram matrix)";
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
  nlohmann::json skip_fields = nlohmann::json::object();  // with a base: an unchanged layer's distances
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
  ProgressSink progress;
  std::optional<BaseModel> base;  // the base of a fine-tune (layers/base_pairing.h)
  std::unordered_map<std::string, size_t> by_name;  // with a base: the model's tensors, for bias pairs
  std::optional<LoraAdapter> lora;  // the model is a PEFT LoRA adapter (analysis/lora_analysis.h)

  State(ModelInput m, AnalyzeOptions o)
      : model(std::move(m)), opt(o), pool(o.threads), in_shard(shard_members(model.tensors, o.layers, o.shard)) {}

  const TensorInfo* bias_of(const TensorInfo& t) const {
    return ws::bias_of(t, [&](const std::string& name) -> const TensorInfo* {
      const auto it = by_name.find(name);
      return it == by_name.end() ? nullptr : &model.tensors[it->second];
    });
  }
};

Analysis::Analysis(ModelInput model, AnalyzeOptions options, std::optional<ModelInput> base) {
  // A lone .npy matrix is a layer whatever its name: the state-dict ".weight" rule does not apply.
  if (model.format == "npy") options.layers.require_weight_suffix = false;
  if (!options.base.empty() && !base) throw OptionError("option base (--base) names a base model, but none was opened");
  if (base && options.base.empty())
    for (const auto& src : base->sources) options.base += (options.base.empty() ? "" : ", ") + src->name();
  s_ = std::make_unique<State>(std::move(model), options);
  if (base) {
    s_->base.emplace(std::move(*base));
    for (size_t i = 0; i < s_->model.tensors.size(); ++i) s_->by_name.emplace(s_->model.tensors[i].name, i);
  }
  if (s_->model.adapter_config) s_->lora.emplace(s_->model);
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
  if (s_->lora && s_->lora->owns(index)) return lora_step(index);
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
  if (!a.skip_reason.empty()) return skip(index, plan, a.skip_reason, a.skip_fields);
  s_->layers.push_back(FieldWriter(layer_fields(), std::move(a.layer)).set("index", index).take());
  return {{"kind", "layer"}, {"layer", s_->layers.back()}};
}

nlohmann::json Analysis::lora_step(size_t index) {
  const TensorInfo& t = s_->model.tensors[index];
  if (!s_->in_shard[index]) return {{"kind", "other_shard"}, {"tensor", t.name}};
  LoraAdapter::Step ls = s_->lora->step(index, s_->model, s_->base ? &*s_->base : nullptr, s_->opt, s_->pool);
  // Without a base a module's second factor has no entry of its own; it is not counted as ignored.
  if (ls.ignored()) return {{"kind", "ignored"}, {"tensor", t.name}};
  if (!ls.skip_reason.empty()) {
    LayerPlan named;
    named.name = ls.name;
    return skip(index, named, ls.skip_reason);
  }
  s_->layers.push_back(FieldWriter(layer_fields(), std::move(ls.layer)).set("index", index).take());
  return {{"kind", "layer"}, {"layer", s_->layers.back()}};
}

void Analysis::set_progress(ProgressSink sink) { s_->progress = std::move(sink); }

nlohmann::json Analysis::skip(size_t index, const LayerPlan& plan, const std::string& reason, const nlohmann::json& fields) {
  s_->skipped.push_back(skipped_entry(index, s_->model.tensors[index], plan.name, reason, fields));
  return {{"kind", "skipped"}, {"skipped", s_->skipped.back()}};
}

// Analyzes the layer at `first` and stores it in s_->ahead. When it is small, the next small layers
// (up to one per thread, skipping tensors that are not analyzed) go with it, one per thread, their
// parallel_for calls running inline. Bytes are read here on the calling thread, in model order (the
// browser's File reads must stay on the thread that owns the File). A big dense layer goes alone,
// read in panels (analysis/streamed_layer.h).
void Analysis::analyze_batch(size_t first, const LayerPlan& first_plan) {
  const TensorInfo& first_tensor = s_->model.tensors[first];
  if (!s_->base && streams_by_panels(first_tensor, first_plan, s_->opt)) {
    ProgressScope progress(&s_->progress);
    Ahead a;
    try {  // a read error is this step's, as below
      StreamedLayer l = analyze_streamed_layer(s_->model, first_tensor, first_plan, s_->opt, s_->pool);
      if (l.skip_reason) a.skip_reason = *l.skip_reason;
      else a.layer = std::move(l.layer);
    } catch (const std::bad_alloc&) {
      const uint64_t panel = static_cast<uint64_t>(default_panel_rows(first_tensor, first_plan)) *
                             static_cast<uint64_t>(first_plan.M) * static_cast<uint64_t>(dtype_bits(first_tensor.dtype) / 8);
      a.skip_reason = out_of_memory_reason(first_tensor, first_plan, std::min(panel, first_tensor.nbytes));
    }
    s_->ahead[first] = std::move(a);
    return;
  }
  const auto small = [&](const TensorInfo& t, const LayerPlan& p) {
    return p.M <= kBatchMaxM && t.nbytes <= kBatchMaxBytes;
  };
  std::vector<std::pair<size_t, LayerPlan>> batch{{first, first_plan}};
  uint64_t bytes = s_->model.tensors[first].nbytes;
  if (s_->pool.size() > 1 && small(s_->model.tensors[first], first_plan)) {
    for (size_t k = first + 1; k < s_->model.tensors.size() && batch.size() < static_cast<size_t>(s_->pool.size()); ++k) {
      const TensorInfo& t = s_->model.tensors[k];
      LayerPlan p = plan_layer(t, s_->opt.layers);
      if (!p.analyze || !s_->in_shard[k] || (s_->lora && s_->lora->owns(k))) continue;
      if (!small(t, p) || bytes + t.nbytes > kBatchMaxBytes) break;
      bytes += t.nbytes;
      batch.emplace_back(k, std::move(p));
    }
  }
  std::optional<ProgressScope> progress;  // a layer alone reports its phases
  if (batch.size() == 1) progress.emplace(&s_->progress);
  // Read and check in model order. The first layer's read error is this step's; a later one is
  // kept for its own step (the layers before it still come out) and ends the batch.
  std::vector<std::vector<uint8_t>> data(batch.size());
  std::vector<TensorInfo> info(batch.size());  // what data holds: the tensor, or with a base its dW
  std::vector<nlohmann::json> delta_fields(batch.size(), nlohmann::json::object());
  std::vector<PhaseTimes> times(batch.size());
  std::vector<size_t> run;
  for (size_t b = 0; b < batch.size(); ++b) {
    const auto& [index, plan] = batch[b];
    const TensorInfo& t = s_->model.tensors[index];
    PhaseClock clock(s_->opt.timings ? &times[b] : nullptr);
    try {
      if (s_->base) {
        DeltaLayer d = read_delta_layer(*s_->base, s_->model, t, plan, s_->bias_of(t), s_->opt, s_->pool, true);
        if (!d.skip_reason.empty()) {
          s_->ahead[index].skip_reason = d.skip_reason;
          s_->ahead[index].skip_fields = std::move(d.fields);
          continue;
        }
        data[b] = std::move(d.delta.bytes);
        info[b] = std::move(d.delta.info);
        delta_fields[b] = std::move(d.fields);
      } else {
        report_progress("read", 0.0);
        data[b] = read_tensor(s_->model, t);
        info[b] = t;
      }
    } catch (const std::bad_alloc&) {
      s_->ahead[index].skip_reason = out_of_memory_reason(t, plan, t.nbytes);
      continue;
    } catch (...) {
      if (b == 0) throw;
      s_->ahead[index].error = std::current_exception();
      break;
    }
    clock.lap(&PhaseTimes::read);
    if (auto reason = check_weights(data[b].data(), info[b])) {
      s_->ahead[index].skip_reason = (s_->base ? "dW = W_ft - W_base: " : "") + *reason;
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
      a.layer = analyze_layer(data[run[r]].data(), info[run[r]], plan, s_->opt, s_->pool, times[run[r]]);
      a.layer.update(FieldWriter(layer_fields(), delta_fields[run[r]]).take());
    } catch (const std::bad_alloc&) {  // also Eigen's allocation failures
      a.skip_reason = out_of_memory_reason(s_->model.tensors[index], plan, s_->model.tensors[index].nbytes);
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
  for (const auto& l : s_->layers)
    if (l.at("name") == name) return entry_vectors(l);
  throw InputError("no analyzed layer is named '" + name + "'");
}

// The tensor of a layer's report entry, checked: an entry from another model's report (or from the
// same files in another order) names a different tensor.
static const TensorInfo& entry_tensor(const ModelInput& model, const nlohmann::json& layer, const LayerOptions& opt) {
  const std::string name = layer.at("name").get<std::string>();
  const size_t index = layer.at("index").get<size_t>();
  if (layer.contains("lora_update"))  // its matrix is B A (+ W_base), not one tensor of the adapter
    throw InputError("layer '" + name + "' is a LoRA module: eigenvectors and the latent space are not computed for it");
  if (index >= model.tensors.size() || plan_layer(model.tensors[index], opt).name != name)
    throw InputError("layer '" + name + "' is not tensor " + std::to_string(index) +
                     " of these files: the report was made from other files");
  return model.tensors[index];
}

nlohmann::json Analysis::entry_vectors(const nlohmann::json& layer) {
  const TensorInfo& t = entry_tensor(s_->model, layer, s_->opt.layers);
  const bool ok = layer.at("status") == "success";
  const size_t num_tail = ok ? layer.at("num_pl_spikes").get<size_t>() : SIZE_MAX;
  const LayerPlan plan = plan_layer(t, s_->opt.layers);
  if (s_->base) {  // the layer is dW: the pair is read again
    DeltaLayer d = read_delta_layer(*s_->base, s_->model, t, plan, nullptr, s_->opt, s_->pool, false);
    if (!d.skip_reason.empty()) throw InputError("layer '" + plan.name + "': " + d.skip_reason);
    return layer_vector_fields(d.delta.bytes.data(), d.delta.info, plan, s_->opt, num_tail, s_->pool);
  }
  const std::vector<uint8_t> data = read_tensor(s_->model, t);
  return layer_vector_fields(data.data(), t, plan, s_->opt, num_tail, s_->pool);
}

LatentSpace Analysis::latent_space(const nlohmann::json& layer) {
  entry_tensor(s_->model, layer, s_->opt.layers);
  // Its K is the tail of the report's ESD, which with a base is dW's, not the model's own matrix.
  if (s_->base) throw InputError("the latent space is taken of a model's own matrix: open the model without a base model");
  return layer_latent_space(s_->model, layer, s_->pool);
}

// With a base: report.base (the base model, and its layer tensors the model lacks, which no step
// sees) and the summary's distance means over the layers compared (distance_means).
void Analysis::add_base(nlohmann::json& report) const {
  const ModelInput& base = s_->base->model();
  nlohmann::json files = nlohmann::json::array(), only = nlohmann::json::array();
  for (const auto& src : base.sources) files.push_back(src->name());
  for (const TensorInfo& t : base.tensors)
    if (plan_layer(t, s_->opt.layers).candidate && !s_->by_name.count(t.name) && !(s_->lora && s_->lora->adapts(t.name)))
      only.push_back(t.name);
  report["base"] = {{"files", files}, {"format", base.format}, {"total_bytes", base.total_bytes},
                    {"num_tensors", base.tensors.size()}, {"only_in_base", only}};
  FieldWriter summary(summary_fields(), std::move(report["summary"]));
  const nlohmann::json means = distance_means(s_->layers, s_->skipped);
  for (const auto& [key, value] : means.items()) summary.set(key, value);
  report["summary"] = summary.take();
}

nlohmann::json Analysis::report(bool entries) const {
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
          {"layers", entries ? nlohmann::json(s_->layers) : nlohmann::json()},
          {"skipped", entries ? nlohmann::json(s_->skipped) : nlohmann::json()}};
  // A part of a sharded run says which, for merge (report/merge.h); the whole run has no "shard".
  if (s_->opt.shard.count > 1) report["shard"] = shard_to_json(s_->opt.shard);
  if (s_->base) add_base(report);
  return report;
}

}  // namespace ws
