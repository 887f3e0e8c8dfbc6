#pragma once
// A ByteSource over a browser File (or Blob), read synchronously with FileReaderSync: only valid
// on the Web Worker thread that owns the File (the thread that calls Analysis::step()).
#include <emscripten/val.h>

#include <memory>

#include "io/byte_source.h"

namespace ws {

// file: a JS File/Blob; name: the name shown in messages (File.name without folders).
std::unique_ptr<ByteSource> browser_file_source(emscripten::val file, std::string name);

}  // namespace ws
