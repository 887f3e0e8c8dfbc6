#include "report/merge.h"

#include <algorithm>
#include <map>
#include <optional>

#include "analysis/analysis.h"
#include "analysis/model_list.h"
#include "report/summary.h"

namespace ws {
namespace {

using nlohmann::json;

constexpr const char* kReportFormat = "weightscope-report";
constexpr const char* kSetFormat = "weightscope-report-set";

std::string brief(const json* v) {
  if (v == nullptr) return "nothing";
  std::string s = v->dump();
  return s.size() <= 80 ? s : s.substr(0, 77) + "...";
}

struct Difference {
  std::string path;
  const json* a;  // nullptr: the key is absent
  const json* b;
};

// Where a and b first differ, descending into objects and equally long arrays; path: "" for the
// top, "key", "key.sub", "[i]".
std::optional<Difference> first_difference(const json& a, const json& b, const std::string& path) {
  const auto member = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, v] : a.items()) {
      if (!b.contains(key)) return Difference{member(key), &v, nullptr};
      if (auto d = first_difference(v, b[key], member(key))) return d;
    }
    for (const auto& [key, v] : b.items())
      if (!a.contains(key)) return Difference{member(key), nullptr, &v};
    return std::nullopt;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i)
      if (auto d = first_difference(a[i], b[i], path + "[" + std::to_string(i) + "]")) return d;
    return std::nullopt;
  }
  if (a == b) return std::nullopt;
  return Difference{path, &a, &b};
}

// Refuses parts whose `key` sections differ, naming the first differing entry as prefix + its path
// ("option " + "max_evals", "model." + "files", "models" + "[3]").
void check_same(const ReportPart& first, const ReportPart& p, const char* key, const std::string& prefix) {
  const json none;
  const json& a = first.json.contains(key) ? first.json[key] : none;
  const json& b = p.json.contains(key) ? p.json[key] : none;
  if (auto d = first_difference(a, b, "")) {
    const std::string what = d->path.empty() ? key : prefix + d->path;
    throw MergeError(what + " differs: " + first.name + " has " + brief(d->a) + ", " + p.name + " has " + brief(d->b) +
                     " (parts of different runs?)");
  }
}

void check_format(const ReportPart& p, const char* format) {
  if (!p.json.is_object() || !p.json.contains("format") || !p.json["format"].is_string())
    throw MergeError(p.name + ": not a weightscope report (no \"format\")");
  const std::string f = p.json["format"];
  if (f != format) {
    if (f == kReportFormat || f == kSetFormat)
      throw MergeError(p.name + " is a " + f + " but " + "the first part is a " + format +
                       ": a run over a model list (--models) and a single model's run do not merge");
    throw MergeError(p.name + ": format \"" + f + "\" is not a weightscope report");
  }
  if (p.json.value("version", json()) != 1)
    throw MergeError(p.name + ": version " + brief(&p.json["version"]) + "; merge reads version 1");
}

Shard shard_of(const ReportPart& p) { return p.json.contains("shard") ? shard_from_json(p.json["shard"], p.name) : Shard{}; }

std::string shard_name(Shard s) { return std::to_string(s.index) + "/" + std::to_string(s.count); }

// The parts' shards: all of one count, each index once, none missing.
std::vector<Shard> check_shards(const std::vector<ReportPart>& parts) {
  std::vector<Shard> shards;
  std::map<int64_t, size_t> owner;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Shard s = shard_of(parts[i]);
    shards.push_back(s);
    if (s.count != shards[0].count)
      throw MergeError(parts[i].name + " is shard " + shard_name(s) + " but " + parts[0].name + " is shard " +
                       shard_name(shards[0]) + ": parts of runs with different shard counts");
    if (auto [at, fresh] = owner.emplace(s.index, i); !fresh)
      throw MergeError("shard " + shard_name(s) + " is given twice: " + parts[at->second].name + " and " + parts[i].name);
  }
  const int64_t count = shards[0].count;
  std::vector<std::string> missing;
  int64_t num_missing = count - static_cast<int64_t>(owner.size());
  for (int64_t k = 0; k < count && missing.size() < 8 && missing.size() < static_cast<size_t>(num_missing); ++k)
    if (!owner.count(k)) missing.push_back(shard_name({k, count}));
  if (num_missing > 0) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    if (num_missing > static_cast<int64_t>(missing.size()))
      list += " and " + std::to_string(num_missing - static_cast<int64_t>(missing.size())) + " more";
    throw MergeError((num_missing == 1 ? "shard " + list + " is missing" : "shards " + list + " are missing") +
                     " (" + std::to_string(parts.size()) + " of " + std::to_string(count) + " parts given)");
  }
  return shards;
}

// Entries of every part in one array ordered by the integer `key`; two entries with the same key
// come from overlapping parts.
json join_ordered(const std::vector<ReportPart>& parts, const char* array, const char* key) {
  struct Item {
    int64_t at;
    size_t part;
    const json* entry;
  };
  std::vector<Item> items;
  for (size_t p = 0; p < parts.size(); ++p) {
    const json& a = parts[p].json.at(array);
    if (!a.is_array()) throw MergeError(parts[p].name + ": \"" + array + "\" is not an array");
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_object() || !a[i].contains(key) || !a[i][key].is_number_integer())
        throw MergeError(parts[p].name + ": " + array + "[" + std::to_string(i) + "] has no integer \"" + key +
                         "\" (written by an older weightscope?)");
      items.push_back({a[i][key].get<int64_t>(), p, &a[i]});
    }
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& x, const Item& y) { return x.at < y.at; });
  json out = json::array();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0 && items[i].at == items[i - 1].at)
      throw MergeError(std::string(array) + " entry with " + key + " " + std::to_string(items[i].at) + " is in both " +
                       parts[items[i - 1].part].name + " and " + parts[items[i].part].name);
    out.push_back(*items[i].entry);
  }
  return out;
}

// Runs f, turning a JSON access error (a missing key, a wrong type) into a MergeError naming the part.
template <class F>
decltype(auto) reading(const std::string& name, F f) {
  try {
    return f();
  } catch (const json::exception& e) {
    throw MergeError(name + ": not a complete weightscope report: " + e.what());
  }
}

}  // namespace

json merge_reports(const std::vector<ReportPart>& parts) {
  if (parts.empty()) throw MergeError("merge needs at least one report");
  for (const ReportPart& p : parts) check_format(p, kReportFormat);
  check_shards(parts);
  const ReportPart& first = parts[0];
  for (const ReportPart& p : parts) {
    check_same(first, p, "generator", "");
    check_same(first, p, "model", "model.");
    check_same(first, p, "options", "option ");
  }
  return reading(first.name, [&] {
    double seconds = 0;
    bool complete = true;
    size_t num_ignored = 0;
    for (const ReportPart& p : parts) {
      const json& s = reading(p.name, [&]() -> const json& { return p.json.at("summary"); });
      // Tensors that are no layers are counted by every shard: the same model and options, the same count.
      const size_t ignored = reading(p.name, [&] { return s.at("num_ignored").get<size_t>(); });
      if (&p != &first && ignored != num_ignored)
        throw MergeError("summary.num_ignored differs: " + first.name + " has " + std::to_string(num_ignored) + ", " +
                         p.name + " has " + std::to_string(ignored));
      num_ignored = ignored;
      seconds += reading(p.name, [&] { return s.at("seconds").get<double>(); });
      complete = complete && reading(p.name, [&] { return s.at("complete").get<bool>(); });
    }
    json layers = join_ordered(parts, "layers", "index");
    json skipped = join_ordered(parts, "skipped", "index");
    json summary = run_summary(first.json.at("model").at("format").get<std::string>(), layers, skipped.size(),
                               num_ignored, seconds, complete);
    return json{{"format", first.json["format"]},
                {"version", first.json["version"]},
                {"generator", first.json.at("generator")},
                {"model", first.json["model"]},
                {"options", first.json["options"]},
                {"summary", std::move(summary)},
                {"layers", std::move(layers)},
                {"skipped", std::move(skipped)}};
  });
}

json report_set(const std::vector<std::string>& models, const json& options, Shard shard, json entries) {
  json set = {{"format", kSetFormat}, {"version", 1},       {"generator", kGenerator},
              {"models", models},     {"options", options}, {"reports", std::move(entries)}};
  if (shard.count > 1) set["shard"] = shard_to_json(shard);
  return set;
}

bool is_report_set(const json& j) { return j.is_object() && j.value("format", json()) == kSetFormat; }

json merge_report_sets(const std::vector<ReportPart>& parts) {
  if (parts.empty()) throw MergeError("merge needs at least one report set");
  for (const ReportPart& p : parts) check_format(p, kSetFormat);
  const std::vector<Shard> shards = check_shards(parts);
  const ReportPart& first = parts[0];
  for (const ReportPart& p : parts) {
    check_same(first, p, "generator", "");
    check_same(first, p, "models", "models");
    check_same(first, p, "options", "option ");
  }
  const std::vector<std::string> models =
      reading(first.name, [&] { return first.json.at("models").get<std::vector<std::string>>(); });
  // Each part holds exactly its shard's models, in list order.
  for (size_t p = 0; p < parts.size(); ++p) {
    const std::string who = parts[p].name + " (shard " + shard_name(shards[p]) + ")";
    reading(parts[p].name, [&] {
      const json& entries = parts[p].json.at("reports");
      size_t e = 0;
      for (size_t k = 0; k < models.size(); ++k) {
        if (!shard_owns_model(shards[p], k)) continue;
        if (e >= entries.size() || entries[e].at("list_index") != k || entries[e].at("path") != models[k])
          throw MergeError(who + " lacks the report of list entry " + std::to_string(k) + " (" + models[k] + ")");
        if (!entries[e].contains("report") && !entries[e].contains("error"))
          throw MergeError(who + ": list entry " + std::to_string(k) + " has neither a report nor an error");
        ++e;
      }
      if (e != entries.size())
        throw MergeError(who + " holds " + std::to_string(entries.size()) + " entries; its shard has " +
                         std::to_string(e) + " models of the list");
    });
  }
  json entries = join_ordered(parts, "reports", "list_index");
  return reading(first.name, [&] {
    return report_set(models, first.json.at("options"), Shard{}, std::move(entries));
  });
}

}  // namespace ws
