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
#include "io/input_error.h"
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

// One analysis over browser Files. files: a JS array of File/Blob objects whose `name` is used;
// index_json: the text of model.safetensors.index.json, or "" when there is none.
class BrowserAnalysis {
 public:
  explicit BrowserAnalysis(std::unique_ptr<ws::Analysis> analysis) : analysis_(std::move(analysis)) {}

  // A factory, not a constructor: a JS error thrown out of an Embind constructor would leak the object.
  static BrowserAnalysis* open(val files, std::string index_json, std::string options_json) {
    return to_js_errors([&] {
      std::vector<std::unique_ptr<ws::ByteSource>> sources;
      const unsigned n = files["length"].as<unsigned>();
      for (unsigned i = 0; i < n; ++i) {
        val f = files[i];
        sources.push_back(ws::browser_file_source(f, f["name"].as<std::string>()));
      }
      std::optional<std::string> index;
      if (!index_json.empty()) index = std::move(index_json);
      return new BrowserAnalysis(std::make_unique<ws::Analysis>(ws::open_model(std::move(sources), index),
                                                                parse_options(options_json)));
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

  // The eigenvector metrics of one analyzed layer, computed now (Analysis::layer_vectors): the
  // page's per-layer "Eigenvectors" action on a report made without the vectors option.
  std::string layer_vectors(std::string name) {
    return to_js_errors([&] { return analysis_->layer_vectors(name).dump(); });
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
      .function("model", &BrowserAnalysis::model)
      .function("numTensors", &BrowserAnalysis::num_tensors)
      .function("nextIndex", &BrowserAnalysis::next_index)
      .function("done", &BrowserAnalysis::done)
      .function("step", &BrowserAnalysis::step)
      .function("summary", &BrowserAnalysis::summary)
      .function("report", &BrowserAnalysis::report)
      .function("layerVectors", &BrowserAnalysis::layer_vectors);
  emscripten::function("reportCsv", &report_csv);
  emscripten::function("allocationPlan", &allocation_plan);
  emscripten::function("planCsv", &plan_csv);
}
