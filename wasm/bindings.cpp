// Embind bindings: the browser drives the same ws::Analysis as the CLI, one tensor per call, so
// the page can post progress and results between calls. Only binding code lives here; results
// cross the boundary as JSON text (the report schema), errors as JS Error messages.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/options_json.h"
#include "file_source.h"
#include "formats/npy.h"
#include "io/input_error.h"
#include "latent/latent_space.h"
#include "report/csv.h"
#include "report/plan.h"
#include "report/summary.h"

namespace {

using emscripten::val;

// Runs f; a C++ exception becomes a JS Error with a readable message. The throw happens after the
// catch block has finished, so the C++ exception object is released before JS unwinds the stack.
template <class F>
auto to_js_errors(F&& f) -> decltype(f()) {
  std::string message;
  try {
    return f();
  } catch (const ws::InputError& e) {
    message = e.what();
  } catch (const std::bad_alloc&) {
    message = "out of memory: this layer does not fit in the 4 GB of WebAssembly memory";
  } catch (const std::exception& e) {
    message = std::string("internal error: ") + e.what();
  }
  val::global("Error").new_(message).throw_();
}

// The page's options (analysis/options_json.h); threads defaults to 1 here, the page sends its pool size.
ws::AnalyzeOptions parse_options(const std::string& text) {
  nlohmann::json j = text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text);
  if (j.is_object() && !j.contains("threads")) j["threads"] = 1;
  return ws::options_from_json(j);
}

// A model from a JS array of File/Blob objects (their `name` is used) and its index text ("" when none).
ws::ModelInput open_files(val files, std::string index_json) {
  std::vector<std::unique_ptr<ws::ByteSource>> sources;
  const unsigned n = files["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) {
    val f = files[i];
    sources.push_back(ws::browser_file_source(f, f["name"].as<std::string>()));
  }
  std::optional<std::string> index;
  if (!index_json.empty()) index = std::move(index_json);
  return ws::open_model(std::move(sources), index);
}

// One analysis over browser Files. files: a JS array of File/Blob objects whose `name` is used;
// index_json: the text of model.safetensors.index.json, or "" when there is none.
class BrowserAnalysis {
 public:
  // Progress inside a long step goes to Module.wsProgress(phase, fraction) when the worker has set
  // it (the worker throttles and posts it to the page); looked up per report, which is coarse.
  explicit BrowserAnalysis(std::unique_ptr<ws::Analysis> analysis) : analysis_(std::move(analysis)) {
    analysis_->set_progress([](const char* phase, double fraction) {
      const val sink = val::module_property("wsProgress");
      if (sink.typeOf().as<std::string>() == "function") sink(std::string(phase), fraction);
    });
  }

  // A factory, not a constructor: a JS error thrown out of an Embind constructor would leak the object.
  static BrowserAnalysis* open(val files, std::string index_json, std::string options_json) {
    return open_with_base(files, std::move(index_json), std::move(options_json), val::undefined(), "");
  }

  // open() with the base model of a fine-tune: base_files (a second File list, or undefined) and its
  // index; each layer is then analyzed as dW = W - W_base, the two tensors read one after the other.
  static BrowserAnalysis* open_with_base(val files, std::string index_json, std::string options_json, val base_files,
                                         std::string base_index_json) {
    return to_js_errors([&] {
      std::optional<ws::ModelInput> base;
      if (!base_files.isUndefined() && !base_files.isNull()) base = open_files(base_files, std::move(base_index_json));
      return new BrowserAnalysis(std::make_unique<ws::Analysis>(open_files(files, std::move(index_json)),
                                                                parse_options(options_json), std::move(base)));
    });
  }

  // {"files", "format", "total_bytes", "metadata", "tensors": [{"name", "nbytes"}]}: what progress needs.
  std::string model() const {
    const ws::ModelInput& m = analysis_->model();
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& t : m.tensors) tensors.push_back({{"name", t.name}, {"nbytes", t.file_nbytes()}});
    nlohmann::json files = nlohmann::json::array();
    for (const auto& s : m.sources) files.push_back(s->name());
    return nlohmann::json{{"files", files}, {"format", m.format}, {"total_bytes", m.total_bytes},
                          {"metadata", m.metadata}, {"tensors", tensors}}
        .dump();
  }

  size_t num_tensors() const { return analysis_->num_tensors(); }
  size_t next_index() const { return analysis_->next_index(); }
  bool done() const { return analysis_->done(); }
  std::string step() {
    return to_js_errors([&] {
      const nlohmann::json r = analysis_->step();
      const std::string kind = r.value("kind", "");
      if (kind == "layer") {
        nlohmann::json scalars = r["layer"];
        scalars.erase("spectra");
        scalar_layers_.push_back(std::move(scalars));
      }
      num_skipped_ += kind == "skipped";
      num_ignored_ += kind == "ignored";
      return r.dump();
    });
  }

  // The report's summary of the layers done so far, without building the whole report (which
  // carries every layer's plot data) after each step.
  std::string summary() const {
    return to_js_errors([&] { return ws::summarize(scalar_layers_, num_skipped_, num_ignored_).dump(); });
  }

  std::string report() const { return to_js_errors([&] { return analysis_->report().dump(); }); }

  // The end of a run in the page: {"report": the report without its entries (null), "counts":
  // {"layers", "skipped"}} — the page holds the entries already, and the check of their counts.
  std::string report_head() const {
    return to_js_errors([&] {
      return nlohmann::json{{"report", analysis_->report(false)},
                            {"counts", {{"layers", scalar_layers_.size()}, {"skipped", num_skipped_}}}}
          .dump();
    });
  }

  // The eigenvector metrics of one layer, computed now: the page's per-layer "Eigenvectors" action
  // on a report made without the vectors option. layer_json: the layer's report entry (its
  // scalars suffice) from a run over the same files; the page opens them again for each action
  // (Analysis::entry_vectors), so the action works after a Cancel replaced the worker.
  std::string layer_vectors(std::string layer_json) {
    return to_js_errors([&] { return analysis_->entry_vectors(nlohmann::json::parse(layer_json)).dump(); });
  }

  // The latent space of one dense layer (Analysis::latent_space; layer_json as for layer_vectors)
  // as the CLI's --latent-out writes it: {k, rows, cols, components, coordinates}, the two .npy
  // files as Uint8Arrays (copies: a view into the wasm heap would go stale when memory grows).
  val latent_space(std::string layer_json) {
    return to_js_errors([&] {
      const ws::LatentSpace ls = analysis_->latent_space(nlohmann::json::parse(layer_json));
      const auto bytes = [](const std::string& npy) {
        const val view(emscripten::typed_memory_view(npy.size(), reinterpret_cast<const uint8_t*>(npy.data())));
        return val::global("Uint8Array").new_(view);
      };
      val out = val::object();
      out.set("k", static_cast<double>(ls.k));
      out.set("rows", static_cast<double>(ls.rows));
      out.set("cols", static_cast<double>(ls.cols));
      out.set("components", bytes(ws::npy_float64(ls.components, ls.cols, ls.k)));
      out.set("coordinates", bytes(ws::npy_float64(ls.coordinates, ls.rows, ls.k)));
      return out;
    });
  }

 private:
  std::unique_ptr<ws::Analysis> analysis_;
  nlohmann::json scalar_layers_ = nlohmann::json::array();
  size_t num_skipped_ = 0, num_ignored_ = 0;
};

std::string report_csv(std::string report_json) {
  return to_js_errors([&] { return ws::report_csv(nlohmann::json::parse(report_json)); });
}

// A layer allocation plan (report/plan.h, docs/plans.md) from a report's JSON text and the plan
// options {"method", "sparsity", "epsilon", "metric", "mapping"}: the plan's JSON text.
std::string allocation_plan(std::string report_json, std::string options_json) {
  return to_js_errors([&] {
    const ws::PlanOptions opt = ws::plan_options_from_json(nlohmann::json::parse(options_json));
    return ws::allocation_plan(nlohmann::json::parse(report_json), opt).dump(1);
  });
}

// The CSV of a plan (JSON text of allocationPlan's result).
std::string plan_csv(std::string plan_json) {
  return to_js_errors([&] { return ws::plan_csv(nlohmann::json::parse(plan_json)); });
}

}  // namespace

EMSCRIPTEN_BINDINGS(weightscope) {
  emscripten::class_<BrowserAnalysis>("Analysis")
      .class_function("open", &BrowserAnalysis::open, emscripten::allow_raw_pointers())
      .class_function("open", &BrowserAnalysis::open_with_base, emscripten::allow_raw_pointers())
      .function("model", &BrowserAnalysis::model)
      .function("numTensors", &BrowserAnalysis::num_tensors)
      .function("nextIndex", &BrowserAnalysis::next_index)
      .function("done", &BrowserAnalysis::done)
      .function("step", &BrowserAnalysis::step)
      .function("summary", &BrowserAnalysis::summary)
      .function("report", &BrowserAnalysis::report)
      .function("reportHead", &BrowserAnalysis::report_head)
      .function("layerVectors", &BrowserAnalysis::layer_vectors)
      .function("latentSpace", &BrowserAnalysis::latent_space);
  emscripten::function("reportCsv", &report_csv);
  emscripten::function("allocationPlan", &allocation_plan);
  emscripten::function("planCsv", &plan_csv);
}
