#pragma once
// Small JSON documents (the shard index) parsed strictly: key order kept, duplicate keys rejected
// (nlohmann keeps the last one silently) and nesting capped so hostile input cannot exhaust the stack.
#include <string>

#include <nlohmann/json.hpp>

namespace ws {

// Throws InputError("<where>: ...") for invalid UTF-8 or JSON, duplicate keys, or depth > max_depth.
nlohmann::ordered_json parse_json_strict(const std::string& text, const std::string& where, int max_depth = 64);

}  // namespace ws
