#include "analysis/options_json.h"

#include <functional>

namespace ws {
namespace {

using nlohmann::json;

struct Binding {
  std::function<json(const AnalyzeOptions&)> get;
  std::function<void(AnalyzeOptions&, const json&)> set;
};

const char* convention_name(XminConvention c) { return c == XminConvention::Powerlaw ? "powerlaw" : "weightwatcher"; }

const char* fingers_name(Fingers f) {
  switch (f) {
    case Fingers::XminPeak: return "xmin_peak";
    case Fingers::ClipXmax: return "clip_xmax";
    default: return "none";
  }
}

// An option stored as is: ref returns the member it lives in.
template <class Ref>
Binding plain(Ref ref) {
  return {[ref](const AnalyzeOptions& o) { return json(ref(const_cast<AnalyzeOptions&>(o))); },
          [ref](AnalyzeOptions& o, const json& v) { v.get_to(ref(o)); }};
}

// One binding per option_specs() row, same order.
const std::vector<Binding>& bindings() {
  static const std::vector<Binding> b = {
      plain([](AnalyzeOptions& o) -> auto& { return o.layers.min_evals; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.layers.max_evals; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.layers.max_N; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.layers.conv2d_norm; }),
      {[](const AnalyzeOptions& o) { return json(o.fit_tpl ? "tpl" : "pl"); },
       [](AnalyzeOptions& o, const json& v) { o.fit_tpl = v == "tpl"; }},
      {[](const AnalyzeOptions& o) { return json(convention_name(o.powerlaw.convention)); },
       [](AnalyzeOptions& o, const json& v) {
         o.powerlaw.convention = v == "powerlaw" ? XminConvention::Powerlaw : XminConvention::WeightWatcher;
       }},
      {[](const AnalyzeOptions& o) { return json(fingers_name(o.powerlaw.fix_fingers)); },
       [](AnalyzeOptions& o, const json& v) {
         o.powerlaw.fix_fingers = v == "xmin_peak" ? Fingers::XminPeak : v == "clip_xmax" ? Fingers::ClipXmax : Fingers::None;
       }},
      plain([](AnalyzeOptions& o) -> auto& { return o.mp_fit; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.detx; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.randomize; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.seed; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.spectra; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.vectors; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.threads; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.timings; }),
      plain([](AnalyzeOptions& o) -> auto& { return o.base; }),
  };
  return b;
}

bool accepts(const OptionSpec& s, const json& v) {
  const std::string kind = s.kind;
  if (kind == "integer") return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
  if (kind == "boolean") return v.is_boolean();
  if (kind == "path") return v.is_string();
  if (!v.is_string()) return false;
  const std::string choices = "|" + kind + "|";
  return choices.find("|" + v.get<std::string>() + "|") != std::string::npos;
}

}  // namespace

const std::vector<OptionSpec>& option_specs() {
  static const std::vector<OptionSpec> s = {
      {"min_evals", "--min-evals", "integer", "layers with fewer eigenvalues are skipped (10)", true},
      {"max_evals", "--max-evals", "integer", "layers with more eigenvalues are skipped (15000)", true},
      {"max_N", "--max-N", "integer", "layers with a larger side longer than this are skipped (50000)", true},
      {"conv2d_norm", "--no-conv2d-norm", "boolean", "scale pooled conv2d eigenvalues by 1/2 (on)", true},
      {"fit", "--fit", "pl|tpl", "tpl also fits a truncated power law and compares it (R, p) (pl)", true},
      {"xmin_convention", "--xmin-convention", "weightwatcher|powerlaw", "candidate xmins (weightwatcher)", true},
      {"fix_fingers", "--fix-fingers", "none|xmin_peak|clip_xmax", "weightwatcher's fix_fingers (none)", true},
      {"mp_fit", "--no-mp-fit", "boolean", "fit the Marchenko-Pastur bulk (on)", true},
      {"detX", "--no-detx", "boolean", "find the det X_eff = 1 point (on)", true},
      {"randomize", "--randomize", "boolean", "rand_distance against the element-shuffled matrix (off)", true},
      {"seed", "--seed", "integer", "shuffle seed for randomize (42)", true},
      {"spectra", "--no-spectra", "boolean", "keep each layer's plot data: eigenvalues and KS scan (on)", true},
      {"vectors", "--vectors", "boolean",
       "eigenvector metrics: localization, participation ratio, vector entropy, bulk and tail (off)", true},
      {"threads", "--threads", "integer", "worker threads, 0 = all cores (CLI 0, page: its pool)", false},
      {"timings", "--timings", "boolean", "each layer's seconds per phase, for benchmarks (off)", false},
      {"base", "--base", "path",
       "base model of a fine-tune (file or folder; page: its files): each layer is analyzed as dW = W - W_base, "
       "with both alphas and the distances (none)", true},
  };
  return s;
}

json options_to_json(const AnalyzeOptions& o) {
  json j = json::object();
  for (size_t i = 0; i < option_specs().size(); ++i)
    if (option_specs()[i].in_report) j[option_specs()[i].key] = bindings()[i].get(o);
  return j;
}

AnalyzeOptions options_from_json(const json& j) {
  if (!j.is_object()) throw OptionError("options must be a JSON object");
  AnalyzeOptions o;
  for (const auto& [key, v] : j.items()) {
    size_t i = 0;
    while (i < option_specs().size() && key != option_specs()[i].key) ++i;
    if (i == option_specs().size()) throw OptionError("unknown option '" + key + "'");
    const OptionSpec& s = option_specs()[i];
    if (!accepts(s, v)) throw OptionError(std::string("option ") + s.key + " (" + s.flag + ") expects " + s.kind +
                                          ", got " + v.dump());
    bindings()[i].set(o, v);
  }
  if (o.layers.min_evals < 1 || o.layers.min_evals >= o.layers.max_evals)
    throw OptionError("min_evals must be >= 1 and below max_evals");
  if (o.layers.max_N < o.layers.max_evals) throw OptionError("max_N must be >= max_evals");
  if (o.threads < 0) throw OptionError("threads must be >= 0");
  return o;
}

}  // namespace ws
