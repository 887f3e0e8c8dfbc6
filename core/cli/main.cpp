// weightscope: the native command-line front end of the core pipeline.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/options_json.h"
#include "io/input_error.h"
#include "report/csv.h"
#include "report/schema_doc.h"

namespace {

// Flags for the analysis options come from their table (analysis/options_json.cpp).
std::string usage() {
  std::string u =
      "usage: weightscope analyze PATH... [options]\n"
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
  for (const ws::OptionSpec& o : ws::option_specs()) {
    const std::string kind = o.kind;
    line(std::string(o.flag) + (kind == "integer" ? " N" : kind == "boolean" ? "" : " " + kind), o.meaning);
  }
  return u;
}

struct Args {
  std::vector<std::string> paths;
  std::string json_path, csv_path;
  bool quiet = false;
  ws::AnalyzeOptions opt;
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
    usage_error("expected the 'analyze' or 'schema' command");
  }
  Args a;
  nlohmann::json options = nlohmann::json::object();
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
    else if (arg.rfind("--", 0) == 0) usage_error("unknown option " + arg);
    else a.paths.push_back(arg);
  }
  if (a.paths.empty()) usage_error("no model path given");
  try {
    a.opt = ws::options_from_json(options);
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

}  // namespace

int main(int argc, char** argv) {
  Args args = parse_args(argc, argv);
  try {
    ws::Analysis analysis(ws::open_model_paths(args.paths), args.opt);
    const auto start = std::chrono::steady_clock::now();
    const bool tty = isatty(2);
    uint64_t bytes_done = 0;
    const size_t n = analysis.num_tensors();
    while (!analysis.done()) {
      const size_t i = analysis.next_index();
      bytes_done += analysis.model().tensors[i].nbytes;
      const std::string name = analysis.next_name();
      analysis.step();
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      // Progress only for runs long enough to wonder about.
      if (!args.quiet && elapsed > 1.0)
        std::fprintf(stderr, "%s[%zu/%zu] %.1f MB %.1fs %s%s", tty ? "\r\033[K" : "", i + 1, n,
                     bytes_done / 1e6, elapsed, name.c_str(), tty ? "" : "\n");
    }
    if (!args.quiet && tty) std::fprintf(stderr, "\r\033[K");
    const nlohmann::json report = analysis.report();
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
