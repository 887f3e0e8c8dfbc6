#pragma once
// Strict UTF-8 check (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF),
// the same rule as Rust's std::str::from_utf8 that the reference safetensors reader applies.
#include <cstddef>
#include <optional>
#include <string_view>

namespace ws {

// Offset of the first byte that does not start a valid sequence, or nullopt if all is valid.
std::optional<size_t> first_invalid_utf8(std::string_view s);

}  // namespace ws
