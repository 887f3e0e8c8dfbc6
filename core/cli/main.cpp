// weightscope: the native command-line front end of the core pipeline.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/distances.h"
#include "analysis/model_list.h"
#include "analysis/options_json.h"
#include "formats/npy.h"
#include "io/input_error.h"
#include "latent/latent_space.h"
#include "report/csv.h"
#include "report/merge.h"
#include "report/plan.h"
#include "report/schema_doc.h"

namespace {

// Flags for the analysis options come from their table (analysis/options_json.cpp).
std::string usage() {
  std::string u =
      "usage: weightscope analyze PATH... [options]\n"
      "       weightscope analyze --models LIST [options]   each model of LIST (one path per line)\n"
      "       weightscope merge PART.json... [--json FILE] [--csv FILE] [--split DIR]\n"
      "                                        join the reports of a sharded run (docs/cluster.md)\n"
      "       weightscope plan REPORT.json --plan METHOD [plan options] --plan-out FILE\n"
      "                                        a layer allocation plan from a report (docs/plans.md)\n"
      "       weightscope schema --markdown|--json   the report's fields (docs/report-schema.md)\n"
      "       weightscope distances BASE MODEL [--json FILE]\n"
      "                                        per-layer ||W_base - W||_F and the means, as weightwatcher's\n"
      "                                        distances(); BASE, MODEL: files or folders as PATH\n"
      "  PATH: a .safetensors, .gguf, .onnx, .pt/.pth/.bin or .npy file, several shard files (with or without\n"
      "        model.safetensors.index.json), or a folder holding them; a folder (or files) with adapter_config.json\n"
      "        is a PEFT LoRA adapter: each module's dW = scaling * B A, and W_base + dW with --base\n"
      "options:\n";
  const auto line = [&](std::string flag, const std::string& meaning) {
    flag.resize(std::max<size_t>(flag.size() + 1, 42), ' ');
    u += "  " + flag + meaning + "\n";
  };
  line("--json FILE", "write the JSON report (docs/report-schema.md); '-' for stdout");
  line("--csv FILE", "write one CSV row per layer; '-' for stdout");
  line("--quiet", "no progress on stderr");
  line("--latent-out PREFIX", "write the 2-D layer's latent space (K = its tail size) as PREFIX_components.npy");
  line("", "(columns x K right singular vectors) and PREFIX_coordinates.npy (rows x K = M V_K)");
  line("--latent-layer NAME", "the layer for --latent-out when the model has several dense layers");
  line("--shard I/N", "analyze shard I of N: every N-th layer, or with --models every N-th model");
  line("--shard-count N", "the shard count with JOB_COMPLETION_INDEX (or WEIGHTSCOPE_SHARD_COUNT)");
  line("--models LIST", "analyze the models LIST names; --json writes one report set");
  line("--split DIR", "merge of report sets: also write each model's report to DIR");
  line("--plan alphapruning|tempbalance", "write a layer allocation plan (docs/plans.md) to --plan-out");
  line("--plan-out FILE.json|FILE.csv", "the plan file; its extension picks the format");
  line("--sparsity S", "alphapruning: parameter-weighted mean sparsity (0.7)");
  line("--epsilon E", "alphapruning: spread 1 +- E (0.3); tempbalance: factors in [1 - E, 1 + E] (0.5)");
  line("--plan-metric alpha_hill_peak|alpha_hill|alpha", "the mapped metric (alphapruning alpha_hill_peak, tempbalance alpha_hill)");
  line("--plan-mapping auto|layer_wise|block_wise", "alphapruning: per layer or per transformer block (auto)");
  for (const ws::OptionSpec& o : ws::option_specs()) {
    const std::string kind = o.kind;
    line(std::string(o.flag) + (kind == "integer" ? " N" : kind == "boolean" ? "" : " " + kind), o.meaning);
  }
  u += "Without --shard, only when the batch engine sets an index, the task is that shard: a Slurm array\n"
       "task (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT, or _MIN.._MAX) or a Kubernetes Indexed Job\n"
       "pod (JOB_COMPLETION_INDEX of --shard-count N or WEIGHTSCOPE_SHARD_COUNT). --shard 0/1: the whole run.\n";
  return u;
}

struct Args {
  std::vector<std::string> paths;
  std::string json_path, csv_path;
  std::string latent_prefix, latent_layer;  // --latent-out, --latent-layer
  bool quiet = false;
  ws::AnalyzeOptions opt;
  std::string models_path;  // --models LIST
  ws::Shard shard;          // of the layers (opt.shard), or of the models with --models
  std::optional<ws::PlanOptions> plan;  // --plan
  std::string plan_out;                 // --plan-out
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "weightscope: %s\n%s", msg.c_str(), usage().c_str());
  std::exit(2);
}

// v read whole by parse (std::stoll, std::stod), else a usage error naming the flag.
template <class Parse>
auto parse_whole(const std::string& flag, const std::string& v, const char* what, Parse parse) {
  try {
    size_t used = 0;
    const auto x = parse(v, &used);
    if (used == v.size()) return x;
  } catch (const std::exception&) {
  }
  usage_error(flag + " expects " + what + ", got '" + v + "'");
}

long long parse_int(const std::string& flag, const std::string& v) {
  return parse_whole(flag, v, "an integer", [](const std::string& s, size_t* used) { return std::stoll(s, used); });
}

double parse_number(const std::string& flag, const std::string& v) {
  return parse_whole(flag, v, "a number", [](const std::string& s, size_t* used) { return std::stod(s, used); });
}

// The plan flags, gathered as the plan options' JSON (report/plan.h), which the wasm binding takes too.
// They are not analysis options: a plan does not change the layers' results, so it stays out of report.options.
bool plan_flag(const std::string& arg, const std::function<std::string()>& value, nlohmann::json& plan, std::string& out) {
  if (arg == "--plan") plan["method"] = value();
  else if (arg == "--sparsity") plan["sparsity"] = parse_number(arg, value());
  else if (arg == "--epsilon") plan["epsilon"] = parse_number(arg, value());
  else if (arg == "--plan-metric") plan["metric"] = value();
  else if (arg == "--plan-mapping") plan["mapping"] = value();
  else if (arg == "--plan-out") out = value();
  else return false;
  return true;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::optional<ws::PlanOptions> plan_options(const nlohmann::json& plan, const std::string& out) {
  if (plan.empty() && out.empty()) return std::nullopt;
  if (!plan.contains("method")) usage_error("plan options need --plan alphapruning|tempbalance");
  if (!ends_with(out, ".json") && !ends_with(out, ".csv")) usage_error("--plan needs --plan-out FILE.json or FILE.csv");
  try {
    return ws::plan_options_from_json(plan);
  } catch (const ws::InputError& e) {
    usage_error(e.what());
  }
}

ws::Shard parse_shard_flag(const std::string& v) {
  try {
    return ws::parse_shard(v);
  } catch (const ws::OptionError& e) {
    usage_error(e.what());
  }
}

// --shard, else the batch engine's index (analysis/shard.h), else the whole run.
ws::Shard task_shard(std::optional<ws::Shard> flag, std::optional<int64_t> count, bool quiet) {
  if (flag) {
    if (count) throw ws::OptionError("--shard-count goes with JOB_COMPLETION_INDEX; --shard I/N already has a count");
    return *flag;
  }
  std::string source;
  const auto env = ws::shard_from_environment([](const char* name) { return std::getenv(name); }, count, &source);
  if (!env) {
    if (count) throw ws::OptionError("--shard-count needs JOB_COMPLETION_INDEX (or give --shard I/N)");
    return {};
  }
  if (!quiet)
    std::fprintf(stderr, "weightscope: shard %lld/%lld (from %s)\n", static_cast<long long>(env->index),
                 static_cast<long long>(env->count), source.c_str());
  return *env;
}

// `weightscope schema --markdown|--json`.
[[noreturn]] void print_schema(int argc, char** argv) {
  const std::string what = argc > 2 ? argv[2] : "";
  if (what == "--markdown") std::fputs(ws::report_schema_markdown().c_str(), stdout);
  else if (what == "--json") std::puts(ws::fields_json().dump(1).c_str());
  else usage_error("schema expects --markdown or --json");
  std::exit(0);
}

Args parse_args(int argc, char** argv) {
  if (argc >= 2 && !std::strcmp(argv[1], "schema")) print_schema(argc, argv);
  if (argc < 2 || std::strcmp(argv[1], "analyze") != 0) {
    if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
      std::fputs(usage().c_str(), stdout);
      std::exit(0);
    }
    usage_error("expected the 'analyze', 'merge', 'plan', 'distances' or 'schema' command");
  }
  Args a;
  nlohmann::json options = nlohmann::json::object();
  std::optional<ws::Shard> shard;
  std::optional<int64_t> shard_count;
  nlohmann::json plan = nlohmann::json::object();
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      return argv[++i];
    };
    const auto spec = std::find_if(ws::option_specs().begin(), ws::option_specs().end(),
                                   [&](const ws::OptionSpec& o) { return arg == o.flag; });
    if (spec != ws::option_specs().end()) {
      const std::string kind = spec->kind;
      if (kind == "boolean") options[spec->key] = arg.rfind("--no-", 0) != 0;
      else if (kind == "integer") options[spec->key] = parse_int(arg, value());
      else options[spec->key] = value();
    } else if (plan_flag(arg, value, plan, a.plan_out)) {
    } else if (arg == "--json") a.json_path = value();
    else if (arg == "--csv") a.csv_path = value();
    else if (arg == "--quiet") a.quiet = true;
    else if (arg == "--latent-out") a.latent_prefix = value();
    else if (arg == "--latent-layer") a.latent_layer = value();
    else if (arg == "--shard") shard = parse_shard_flag(value());
    else if (arg == "--shard-count") shard_count = parse_int(arg, value());
    else if (arg == "--models") a.models_path = value();
    else if (arg.rfind("--", 0) == 0) usage_error("unknown option " + arg);
    else a.paths.push_back(arg);
  }
  if (a.paths.empty() && a.models_path.empty()) usage_error("no model path given");
  if (!a.paths.empty() && !a.models_path.empty()) usage_error("give model paths or --models LIST, not both");
  if (!a.models_path.empty() && !a.latent_prefix.empty()) usage_error("--latent-out takes one model, not --models");
  if (!a.latent_layer.empty() && a.latent_prefix.empty()) usage_error("--latent-layer goes with --latent-out");
  if (!a.models_path.empty() && !a.csv_path.empty())
    usage_error("--csv writes one model's layers; with --models, merge --split DIR writes each model's report");
  a.plan = plan_options(plan, a.plan_out);
  if (a.plan && !a.models_path.empty()) usage_error("--plan takes one model, not --models");
  try {
    a.opt = ws::options_from_json(options);
    a.shard = task_shard(shard, shard_count, a.quiet);
    if (a.models_path.empty()) a.opt.shard = a.shard;
  } catch (const ws::OptionError& e) {
    usage_error(e.what());
  }
  if (a.plan && a.shard.count > 1) usage_error("--plan needs the whole model: merge the shards, then `weightscope plan`");
  return a;
}

void write_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return;
  }
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) throw ws::InputError("cannot write " + path);
}

void write_plan(const nlohmann::json& report, const ws::PlanOptions& opt, const std::string& out) {
  const nlohmann::json plan = ws::allocation_plan(report, opt);
  write_output(out, ends_with(out, ".csv") ? ws::plan_csv(plan) : plan.dump(1) + "\n");
}

// A compact table for people when no machine-readable output goes to stdout.
void print_table(const nlohmann::json& report) {
  std::printf("%-40s %7s %7s %9s %8s  %s\n", "layer", "N", "M", "alpha", "D", "warning");
  for (const auto& l : report["layers"]) {
    if (l["status"] == "success")
      std::printf("%-40s %7lld %7lld %9.4f %8.4f  %s\n", l["name"].get<std::string>().c_str(),
                  l["N"].get<long long>(), l["M"].get<long long>(), l["alpha"].get<double>(),
                  l["D"].get<double>(), l["warning"].get<std::string>().c_str());
    else
      std::printf("%-40s %7lld %7lld  fit failed: %s\n", l["name"].get<std::string>().c_str(),
                  l["N"].get<long long>(), l["M"].get<long long>(),
                  l["failure_reason"].get<std::string>().c_str());
  }
  for (const auto& s : report["skipped"])
    std::printf("%-40s skipped: %s\n", s["name"].get<std::string>().c_str(), s["reason"].get<std::string>().c_str());
  const auto& sum = report["summary"];
  std::printf("%zu layers analyzed, %zu skipped", sum["num_layers"].get<size_t>(), sum["num_skipped"].get<size_t>());
  if (sum.contains("alpha")) std::printf(", mean alpha %.3f, mean alpha-hat %.3f", sum["alpha"].get<double>(),
                                         sum["alpha_weighted"].get<double>());
  std::printf("\n");
  if (sum.contains("latent_rank_K"))
    std::printf("latent rank K = %lld (eigenpairs in the power-law tail)\n", sum["latent_rank_K"].get<long long>());
}

// --latent-out: the layer's latent space as two .npy files (the model is opened again to read it).
void write_latent_space(const Args& args, const nlohmann::json& report) {
  ws::ModelInput model = ws::open_model_paths(args.paths);
  ws::ThreadPool pool(args.opt.threads);
  const nlohmann::json& layer = ws::latent_layer(report, args.latent_layer);
  const ws::LatentSpace ls = ws::layer_latent_space(model, layer, pool);
  const std::string components = args.latent_prefix + "_components.npy", coordinates = args.latent_prefix + "_coordinates.npy";
  write_output(components, ws::npy_float64(ls.components, ls.cols, ls.k));
  write_output(coordinates, ws::npy_float64(ls.coordinates, ls.rows, ls.k));
  if (!args.quiet)
    std::fprintf(stderr, "latent space of %s: K = %lld; wrote %s (%lld x %lld) and %s (%lld x %lld)\n",
                 layer["name"].get<std::string>().c_str(), static_cast<long long>(ls.k), components.c_str(),
                 static_cast<long long>(ls.cols), static_cast<long long>(ls.k), coordinates.c_str(),
                 static_cast<long long>(ls.rows), static_cast<long long>(ls.k));
}

// --base PATH: the base model of a fine-tune, opened beside the model (analysis/delta_layer.h).
std::optional<ws::ModelInput> open_base(const ws::AnalyzeOptions& opt) {
  if (opt.base.empty()) return std::nullopt;
  return ws::open_model_paths({opt.base});
}

// Runs the analysis to its end, with progress on stderr, and returns its report.
nlohmann::json run_analysis(ws::Analysis& analysis, bool quiet) {
  const auto start = std::chrono::steady_clock::now();
  const bool tty = isatty(2);
  uint64_t bytes_done = 0;
  const size_t n = analysis.num_tensors();
  while (!analysis.done()) {
    const size_t i = analysis.next_index();
    bytes_done += analysis.model().tensors[i].file_nbytes();
    const std::string name = analysis.next_name();
    analysis.step();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Progress only for runs long enough to wonder about.
    if (!quiet && elapsed > 1.0)
      std::fprintf(stderr, "%s[%zu/%zu] %.1f MB %.1fs %s%s", tty ? "\r\033[K" : "", i + 1, n,
                   bytes_done / 1e6, elapsed, name.c_str(), tty ? "" : "\n");
  }
  if (!quiet && tty) std::fprintf(stderr, "\r\033[K");
  return analysis.report();
}

// One line per model of a report set.
void print_set_table(const nlohmann::json& set) {
  for (const auto& e : set["reports"]) {
    std::printf("%zu %s: ", e["list_index"].get<size_t>(), e["path"].get<std::string>().c_str());
    if (e.contains("error")) {
      std::printf("error: %s\n", e["error"].get<std::string>().c_str());
      continue;
    }
    const auto& sum = e["report"]["summary"];
    std::printf("%zu layers analyzed, %zu skipped", sum["num_layers"].get<size_t>(), sum["num_skipped"].get<size_t>());
    if (sum.contains("alpha")) std::printf(", mean alpha %.3f", sum["alpha"].get<double>());
    std::printf("\n");
  }
}

// `analyze --models LIST`: this shard's models of the list, one after another, into one report set
// (report/merge.h). A model that cannot be read is an entry with its error; the others go on, and
// the exit status is 1.
int analyze_list(const Args& args) {
  const std::vector<std::string> models = ws::read_model_list(args.models_path);
  nlohmann::json entries = nlohmann::json::array();
  bool failed = false;
  for (size_t k = 0; k < models.size(); ++k) {
    if (!ws::shard_owns_model(args.shard, k)) continue;
    if (!args.quiet) std::fprintf(stderr, "weightscope: list entry %zu of 0..%zu: %s\n", k, models.size() - 1, models[k].c_str());
    nlohmann::json entry = {{"list_index", k}, {"path", models[k]}};
    try {
      ws::Analysis analysis(ws::open_model_paths({models[k]}), args.opt, open_base(args.opt));
      entry["report"] = run_analysis(analysis, args.quiet);
    } catch (const ws::InputError& e) {
      entry["error"] = e.what();
    } catch (const std::bad_alloc&) {
      entry["error"] = "out of memory";
    }
    if (entry.contains("error")) {
      std::fprintf(stderr, "weightscope: error: list entry %zu: %s\n", k, entry["error"].get<std::string>().c_str());
      failed = true;
    }
    entries.push_back(std::move(entry));
  }
  const nlohmann::json set = ws::report_set(models, ws::options_to_json(args.opt), args.shard, std::move(entries));
  if (!args.json_path.empty()) write_output(args.json_path, set.dump(1) + "\n");
  if (args.json_path != "-") print_set_table(set);
  return failed ? 1 : 0;
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ws::InputError(path + ": cannot open");
  try {
    return nlohmann::json::parse(f);
  } catch (const nlohmann::json::parse_error& e) {
    throw ws::InputError(path + ": not JSON: " + e.what());
  }
}

// `weightscope merge PART.json... [--json FILE] [--csv FILE] [--split DIR]`.
int merge_main(int argc, char** argv) {
  std::vector<std::string> inputs;
  std::string json_path, csv_path, split_dir;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--json") json_path = value();
    else if (arg == "--csv") csv_path = value();
    else if (arg == "--split") split_dir = value();
    else if (arg.rfind("--", 0) == 0) usage_error("unknown merge option " + arg);
    else inputs.push_back(arg);
  }
  if (inputs.empty()) usage_error("merge needs the parts' JSON reports");
  try {
    std::vector<ws::ReportPart> parts;
    for (const std::string& path : inputs) parts.push_back({path, read_json_file(path)});
    const bool sets = ws::is_report_set(parts[0].json);
    if (sets && !csv_path.empty()) usage_error("--csv writes one model's layers; for report sets use --split DIR");
    if (!sets && !split_dir.empty()) usage_error("--split DIR is for report sets (analyze --models)");
    const nlohmann::json merged = sets ? ws::merge_report_sets(parts) : ws::merge_reports(parts);
    if (!json_path.empty()) write_output(json_path, merged.dump(1) + "\n");
    if (!csv_path.empty()) write_output(csv_path, ws::report_csv(merged));
    if (!split_dir.empty()) {
      std::filesystem::create_directories(split_dir);
      for (const auto& e : merged["reports"])
        if (e.contains("report"))
          write_output(split_dir + "/" + ws::model_report_name(e["list_index"], e["path"]), e["report"].dump(1) + "\n");
    }
    if (json_path != "-" && csv_path != "-") sets ? print_set_table(merged) : print_table(merged);
  } catch (const ws::InputError& e) {
    std::fprintf(stderr, "weightscope: error: %s\n", e.what());
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    std::fprintf(stderr, "weightscope: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

// `weightscope plan REPORT.json --plan METHOD [plan options] --plan-out FILE`.
int plan_main(int argc, char** argv) {
  std::string report_path, out;
  nlohmann::json plan = nlohmann::json::object();
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (plan_flag(arg, [&] { return i + 1 < argc ? std::string(argv[++i]) : (usage_error(arg + " needs a value"), ""); }, plan, out))
      continue;
    if (arg.rfind("--", 0) == 0 || !report_path.empty()) usage_error("plan takes one REPORT.json and the plan options, got " + arg);
    report_path = arg;
  }
  if (report_path.empty()) usage_error("plan needs a REPORT.json");
  const std::optional<ws::PlanOptions> opt = plan_options(plan, out);
  if (!opt) usage_error("plan needs --plan alphapruning|tempbalance and --plan-out FILE");
  try {
    write_plan(read_json_file(report_path), *opt, out);
  } catch (const ws::InputError& e) {
    std::fprintf(stderr, "weightscope: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

// `weightscope distances BASE MODEL [--json FILE]`: the JSON of analysis/distances.h (stdout without
// --json), with the default layer gates; a table of the layers when the JSON goes to a file.
int distances_main(int argc, char** argv) {
  std::vector<std::string> paths;
  std::string json_path = "-";
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json" && i + 1 < argc) json_path = argv[++i];
    else if (arg.rfind("--", 0) == 0) usage_error("unknown distances option " + arg);
    else paths.push_back(arg);
  }
  if (paths.size() != 2) usage_error("distances takes BASE and MODEL");
  try {
    ws::BaseModel base(ws::open_model_paths({paths[0]}));
    ws::ModelInput model = ws::open_model_paths({paths[1]});
    const nlohmann::json d = ws::model_distances(base, model, ws::LayerOptions{});
    write_output(json_path, d.dump(1) + "\n");
    if (json_path == "-") return 0;
    for (const auto& l : d["layers"]) std::printf("%-40s %14.8g\n", l["name"].get<std::string>().c_str(), l["delta_W"].get<double>());
    for (const auto& s : d["skipped"])
      std::printf("%-40s skipped: %s\n", s["name"].get<std::string>().c_str(), s["reason"].get<std::string>().c_str());
    if (d.contains("avg_delta_W")) std::printf("avg_delta_W %.8g, avg_delta_b %.8g\n", d["avg_delta_W"].get<double>(), d["avg_delta_b"].get<double>());
  } catch (const ws::InputError& e) {
    std::fprintf(stderr, "weightscope: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && !std::strcmp(argv[1], "distances")) return distances_main(argc, argv);
  if (argc >= 2 && !std::strcmp(argv[1], "merge")) return merge_main(argc, argv);
  if (argc >= 2 && !std::strcmp(argv[1], "plan")) return plan_main(argc, argv);
  Args args = parse_args(argc, argv);
  try {
    if (!args.models_path.empty()) return analyze_list(args);
    ws::Analysis analysis(ws::open_model_paths(args.paths), args.opt, open_base(args.opt));
    const nlohmann::json report = run_analysis(analysis, args.quiet);
    if (!args.json_path.empty()) write_output(args.json_path, report.dump(1) + "\n");
    if (!args.csv_path.empty()) write_output(args.csv_path, ws::report_csv(report));
    if (args.json_path != "-" && args.csv_path != "-") print_table(report);
    if (!args.latent_prefix.empty()) write_latent_space(args, report);
    if (args.plan) write_plan(report, *args.plan, args.plan_out);
  } catch (const ws::InputError& e) {
    std::fprintf(stderr, "weightscope: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "weightscope: error: out of memory\n");
    return 1;
  }
  return 0;
}
