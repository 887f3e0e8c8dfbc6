// Runs inside the module factory (--pre-js). JS half of file_source.cpp: a try/catch around
// FileReaderSync, which C++ cannot catch (a JS exception is not a C++ exception in this Emscripten).
// Returns 0 on success, 1 on a short read, 2 when the browser could not read the file.
Module['wsReadFile'] = function (file, offset, length, dst) {
  try {
    const buffer = new FileReaderSync().readAsArrayBuffer(file.slice(offset, offset + length));
    if (buffer.byteLength !== length) return 1;
    // wasmMemory.buffer, not HEAPU8: with threads + growth another thread may have grown the heap.
    new Uint8Array(wasmMemory.buffer, dst, length).set(new Uint8Array(buffer));
    return 0;
  } catch (e) {
    return 2;
  }
};
