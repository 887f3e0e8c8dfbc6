#include "formats/strict_json.h"

#include <set>
#include <vector>

#include "formats/utf8.h"
#include "io/input_error.h"

namespace ws {

nlohmann::ordered_json parse_json_strict(const std::string& text, const std::string& where, int max_depth) {
  using Json = nlohmann::ordered_json;
  if (auto bad = first_invalid_utf8(text))
    throw InputError(where + ": byte " + std::to_string(*bad) + ": not valid UTF-8");
  // nlohmann's lexer takes a NUL byte for the end of input and would ignore what follows it.
  if (const size_t nul = text.find('\0'); nul != std::string::npos)
    throw InputError(where + ": byte " + std::to_string(nul) + ": contains a NUL byte (not valid JSON)");
  std::vector<std::set<std::string>> keys;  // keys seen in each open object
  auto check = [&](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        // nlohmann's parser is iterative, so the cap is what bounds recursion in the DOM's destructor.
        if (depth >= max_depth)
          throw InputError(where + ": JSON nests deeper than " + std::to_string(max_depth) + " levels");
        if (event == Json::parse_event_t::object_start) keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        keys.pop_back();
        break;
      case Json::parse_event_t::key: {
        const auto& k = parsed.get_ref<const std::string&>();
        if (!keys.back().insert(k).second) throw InputError(where + ": key '" + k + "' appears twice");
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text, check);
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    const size_t bracket = what.find("] ");  // drop nlohmann's "[json.exception.parse_error.101] " tag
    throw InputError(where + ": not valid JSON (" + (bracket == std::string::npos ? what : what.substr(bracket + 2)) +
                     ")");
  }
}

}  // namespace ws
