// weightscope: the native command-line front end of the core pipeline.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/model_list.h"
#include "analysis/options_json.h"
#include "io/input_error.h"
#include "report/csv.h"
#include "report/merge.h"
#include "report/schema_doc.h"

namespace {

// Flags for the analysis options come from their table (analysis/options_json.cpp).
std::string usage() {
  std::string u =
      "usage: weightscope analyze PATH... [options]\n"
      "       weightscope analyze --models LIST [options]   each model of LIST (one path per line)\n"
      "       weightscope merge PART.json... [--json FILE] [--csv FILE] [--split DIR]\n"
      "                                        join the reports of a sharded run (docs/cluster.md)\n"
      "       weightscope schema --markdown|--json   the report's fields (docs/report-schema.md)\n"
      "  PATH: a .safetensors or .npy file, several shard files (with or without\n"
      "        model.safetensors.index.json), or a folder holding them\n"
      "options:\n";
  const auto line = [&](std::string flag, const std::string& meaning) {
    flag.resize(std::max<size_t>(flag.size() + 1, 42), ' ');
    u += "  " + flag + meaning + "\n";
  };
  line("--json FILE", "write the JSON report (docs/report-schema.md); '-' for stdout");
  line("--csv FILE", "write one CSV row per layer; '-' for stdout");
  line("--quiet", "no progress on stderr");
  line("--shard I/N", "analyze shard I of N: every N-th layer, or with --models every N-th model");
  line("--shard-count N", "the shard count with JOB_COMPLETION_INDEX (or WEIGHTSCOPE_SHARD_COUNT)");
  line("--models LIST", "analyze the models LIST names; --json writes one report set");
  line("--split DIR", "merge of report sets: also write each model's report to DIR");
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
  bool quiet = false;
  ws::AnalyzeOptions opt;
  std::string models_path;  // --models LIST
  ws::Shard shard;          // of the layers (opt.shard), or of the models with --models
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "weightscope: %s\n%s", msg.c_str(), usage().c_str());
  std::exit(2);
}

long long parse_int(const std::string& flag, const std::string& v) {
  try {
    size_t used = 0;
    long long x = std::stoll(v, &used);
    if (used == v.size()) return x;
  } catch (const std::exception&) {
  }
  usage_error(flag + " expects an integer, got '" + v + "'");
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
    usage_error("expected the 'analyze', 'merge' or 'schema' command");
  }
  Args a;
  nlohmann::json options = nlohmann::json::object();
  std::optional<ws::Shard> shard;
  std::optional<int64_t> shard_count;
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
    } else if (arg == "--json") a.json_path = value();
    else if (arg == "--csv") a.csv_path = value();
    else if (arg == "--quiet") a.quiet = true;
    else if (arg == "--shard") shard = parse_shard_flag(value());
    else if (arg == "--shard-count") shard_count = parse_int(arg, value());
    else if (arg == "--models") a.models_path = value();
    else if (arg.rfind("--", 0) == 0) usage_error("unknown option " + arg);
    else a.paths.push_back(arg);
  }
  if (a.paths.empty() && a.models_path.empty()) usage_error("no model path given");
  if (!a.paths.empty() && !a.models_path.empty()) usage_error("give model paths or --models LIST, not both");
  if (!a.models_path.empty() && !a.csv_path.empty())
    usage_error("--csv writes one model's layers; with --models, merge --split DIR writes each model's report");
  try {
    a.opt = ws::options_from_json(options);
    a.shard = task_shard(shard, shard_count, a.quiet);
    if (a.models_path.empty()) a.opt.shard = a.shard;
  } catch (const ws::OptionError& e) {
    usage_error(e.what());
  }
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
      ws::Analysis analysis(ws::open_model_paths({models[k]}), args.opt);
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

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && !std::strcmp(argv[1], "merge")) return merge_main(argc, argv);
  Args args = parse_args(argc, argv);
  try {
    if (!args.models_path.empty()) return analyze_list(args);
    ws::Analysis analysis(ws::open_model_paths(args.paths), args.opt);
    const nlohmann::json report = run_analysis(analysis, args.quiet);
    if (!args.json_path.empty()) write_output(args.json_path, report.dump(1) + "\n");
    if (!args.csv_path.empty()) write_output(args.csv_path, ws::report_csv(report));
    if (args.json_path != "-" && args.csv_path != "-") print_table(report);
  } catch (const ws::InputError& e) {
    std::fprintf(stderr, "weightscope: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "weightscope: error: out of memory\n");
    return 1;
  }
  return 0;
}
