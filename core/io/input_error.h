#pragma once
// The one error type for bad input: a message that says what is wrong and where
// (file, byte offset, tensor name). Anything else thrown from the core is a bug.
#include <stdexcept>
#include <string>

namespace ws {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace ws
