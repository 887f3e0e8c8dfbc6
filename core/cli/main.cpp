// weightscope: the native command-line front end of the core pipeline.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "io/input_error.h"
#include "report/csv.h"

namespace {

const char* kUsage =
    "usage: weightscope analyze PATH... [options]\n"
    "  PATH: a .safetensors or .npy file, several shard files (with or without\n"
    "        model.safetensors.index.json), or a folder holding them\n"
    "options:\n"
    "  --json FILE           write the JSON report (docs/report-schema.md); '-' for stdout\n"
    "  --csv FILE            write one CSV row per layer; '-' for stdout\n"
    "  --no-spectra          leave the per-layer plot data out of the JSON\n"
    "  --threads N           worker threads (default: all cores)\n"
    "  --fit pl|tpl          tpl also fits a truncated power law and compares it (R, p)\n"
    "  --xmin-convention weightwatcher|powerlaw   candidate xmins (default weightwatcher)\n"
    "  --fix-fingers none|xmin_peak|clip_xmax\n"
    "  --min-evals N --max-evals N --max-N N      layer size gates (10, 15000, 50000)\n"
    "  --no-conv2d-norm      do not scale pooled conv2d eigenvalues by 1/2\n"
    "  --no-mp-fit --no-detx skip the Marchenko-Pastur fit / the detX point\n"
    "  --randomize [--seed S]  rand_distance against the element-shuffled matrix\n"
    "  --quiet               no progress on stderr\n";

struct Args {
  std::vector<std::string> paths;
  std::string json_path, csv_path;
  bool quiet = false;
  ws::AnalyzeOptions opt;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "weightscope: %s\n%s", msg.c_str(), kUsage);
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

Args parse_args(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "analyze") != 0) {
    if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    usage_error("expected the 'analyze' command");
  }
  Args a;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--json") a.json_path = value();
    else if (arg == "--csv") a.csv_path = value();
    else if (arg == "--no-spectra") a.opt.spectra = false;
    else if (arg == "--threads") a.opt.threads = static_cast<int>(parse_int(arg, value()));
    else if (arg == "--fit") {
      const std::string v = value();
      if (v != "pl" && v != "tpl") usage_error("--fit expects pl or tpl");
      a.opt.fit_tpl = v == "tpl";
    } else if (arg == "--xmin-convention") {
      const std::string v = value();
      if (v == "weightwatcher" || v == "ww") a.opt.powerlaw.convention = ws::XminConvention::WeightWatcher;
      else if (v == "powerlaw") a.opt.powerlaw.convention = ws::XminConvention::Powerlaw;
      else usage_error("--xmin-convention expects weightwatcher or powerlaw");
    } else if (arg == "--fix-fingers") {
      const std::string v = value();
      if (v == "none") a.opt.powerlaw.fix_fingers = ws::Fingers::None;
      else if (v == "xmin_peak") a.opt.powerlaw.fix_fingers = ws::Fingers::XminPeak;
      else if (v == "clip_xmax") a.opt.powerlaw.fix_fingers = ws::Fingers::ClipXmax;
      else usage_error("--fix-fingers expects none, xmin_peak or clip_xmax");
    } else if (arg == "--min-evals") a.opt.layers.min_evals = parse_int(arg, value());
    else if (arg == "--max-evals") a.opt.layers.max_evals = parse_int(arg, value());
    else if (arg == "--max-N") a.opt.layers.max_N = parse_int(arg, value());
    else if (arg == "--no-conv2d-norm") a.opt.layers.conv2d_norm = false;
    else if (arg == "--no-mp-fit") a.opt.mp_fit = false;
    else if (arg == "--no-detx") a.opt.detx = false;
    else if (arg == "--randomize") a.opt.randomize = true;
    else if (arg == "--seed") a.opt.seed = static_cast<uint64_t>(parse_int(arg, value()));
    else if (arg == "--quiet") a.quiet = true;
    else if (arg.rfind("--", 0) == 0) usage_error("unknown option " + arg);
    else a.paths.push_back(arg);
  }
  if (a.paths.empty()) usage_error("no model path given");
  if (a.opt.layers.min_evals < 1 || a.opt.layers.min_evals >= a.opt.layers.max_evals)
    usage_error("--min-evals must be >= 1 and below --max-evals");
  if (a.opt.layers.max_N < a.opt.layers.max_evals) usage_error("--max-N must be >= --max-evals");
  if (a.opt.threads < 0) usage_error("--threads must be >= 0");
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
