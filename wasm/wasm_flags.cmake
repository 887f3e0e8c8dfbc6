# The wasm variant, picked at configure time, and its flags on one INTERFACE target,
# weightscope_wasm_flags, which weightscope_core links PUBLIC (core/CMakeLists.txt): every object of
# the module (core, bindings) then agrees on atomics/shared memory, SIMD and the exception model, and
# the module's link gets the same flags. Included by the top-level CMakeLists.txt in wasm builds only.
# One variant per build dir (one binary cannot use threads when available and run without them):
#   WS_WASM_VARIANT=mt     weightscope-mt.{js,wasm,worker.js}  -O3 -flto -msimd128 -pthread, JS exceptions
#                          (needs cross-origin isolation)
#   WS_WASM_VARIANT=fma    weightscope-fma.{js,wasm,worker.js} mt + -mrelaxed-simd: the kernels' a * b + c
#                          as f64x2.relaxed_madd (spectrum/simd.h), for engines with relaxed SIMD
#   WS_WASM_VARIANT=st     weightscope-st.{js,wasm}            -O3 -flto -msimd128, wasm exceptions
#   WS_WASM_VARIANT=debug  weightscope-debug.{js,wasm}         single-threaded -O1 -msimd128, wasm exceptions,
#                          -sASSERTIONS=2 -sSAFE_HEAP=1 -sSTACK_OVERFLOW_CHECK=2 (for tests; slower)
# scripts/build-wasm [mt|fma|st|debug] configures build-wasm-<variant>/ with
#   emcmake cmake -S . -B build-wasm-<variant> -DWS_WASM_VARIANT=<variant> -DEigen3_DIR=/usr/share/eigen3/cmake

# Build dirs configured before WS_WASM_VARIANT existed carry WS_WASM_THREADS=OFF for st.
if(DEFINED WS_WASM_THREADS AND NOT WS_WASM_THREADS)
  set(ws_default_variant st)
else()
  set(ws_default_variant mt)
endif()
set(WS_WASM_VARIANT ${ws_default_variant} CACHE STRING "wasm variant: mt, fma, st or debug")
set_property(CACHE WS_WASM_VARIANT PROPERTY STRINGS mt fma st debug)
if(NOT WS_WASM_VARIANT MATCHES "^(mt|fma|st|debug)$")
  message(FATAL_ERROR "WS_WASM_VARIANT is '${WS_WASM_VARIANT}': mt, fma, st or debug")
endif()
# The threaded variants.
if(WS_WASM_VARIANT MATCHES "^(mt|fma)$")
  set(ws_threads ON)
else()
  set(ws_threads OFF)
endif()

# Optimization flags (measured: see wasm/README.md). -Os is 20-30x slower, so mt and st use -O3.
if(WS_WASM_VARIANT STREQUAL "debug")
  set(ws_default_opt "-O1")
else()
  set(ws_default_opt "-O3;-flto")
endif()
set(WS_WASM_OPT "${ws_default_opt}" CACHE STRING "Compile and link optimization flags of the wasm build")

# Exceptions (the core throws ws::InputError, bindings.cpp turns it into a JS Error):
#   wasm: native wasm exception handling (-fwasm-exceptions), which Chromium >= 95, Firefox >= 100,
#         Safari >= 15.2 and node >= 17 run: no invoke_ trampolines, a smaller .wasm and .js, a few
#         per cent less wasm time (wasm/README.md).
#   js:   Emscripten's JS-based catching (-fexceptions -sDISABLE_EXCEPTION_CATCHING=0): every call
#         that may throw goes through an invoke_ trampoline into JS.
#   auto: wasm for st and debug, js for mt and fma. With -pthread, Debian's emscripten 3.1.6 cannot catch
#         wasm exceptions at all: its libunwind keeps __wasm_lpad_context thread-local while clang 14
#         addresses it as a plain global (at address 0), so the personality function never matches
#         and every throw leaves the module as an uncaught WebAssembly.Exception (even catch (...)).
set(WS_WASM_EXCEPTIONS auto CACHE STRING "Exception model of the wasm build: auto, wasm or js")
set_property(CACHE WS_WASM_EXCEPTIONS PROPERTY STRINGS auto wasm js)
set(ws_exceptions ${WS_WASM_EXCEPTIONS})
if(ws_exceptions STREQUAL "auto")
  if(ws_threads)
    set(ws_exceptions js)
  else()
    set(ws_exceptions wasm)
  endif()
endif()
if(ws_exceptions STREQUAL "wasm" AND ws_threads)
  message(FATAL_ERROR "WS_WASM_EXCEPTIONS=wasm with the mt variant: this emscripten cannot catch wasm "
                      "exceptions with -pthread (see wasm/wasm_flags.cmake); use auto or js")
endif()

if(WS_WASM_VARIANT STREQUAL "mt")
  set(WS_WASM_EXPORT WeightscopeMT)
elseif(WS_WASM_VARIANT STREQUAL "fma")
  set(WS_WASM_EXPORT WeightscopeFMA)
elseif(WS_WASM_VARIANT STREQUAL "st")
  set(WS_WASM_EXPORT WeightscopeST)
else()
  set(WS_WASM_EXPORT WeightscopeDebug)
endif()

add_library(weightscope_wasm_flags INTERFACE)
# Flags that both compile and link must see.
set(ws_flags -msimd128 ${WS_WASM_OPT})
if(ws_exceptions STREQUAL "wasm")
  list(APPEND ws_flags -fwasm-exceptions)
elseif(ws_exceptions STREQUAL "js")
  list(APPEND ws_flags -fexceptions)
  target_link_options(weightscope_wasm_flags INTERFACE -sDISABLE_EXCEPTION_CATCHING=0)
else()
  message(FATAL_ERROR "WS_WASM_EXCEPTIONS is '${WS_WASM_EXCEPTIONS}': auto, wasm or js")
endif()
if(WS_WASM_VARIANT STREQUAL "fma")
  list(APPEND ws_flags -mrelaxed-simd)
endif()
if(ws_threads)
  list(APPEND ws_flags -pthread)
  # The pool is created before main work starts, so a blocking step() never waits on a worker
  # that has not loaded yet. The page passes its pool size
  # (navigator.hardwareConcurrency, capped) as Module.wsPoolSize and uses as many analysis threads.
  target_link_options(weightscope_wasm_flags INTERFACE
    "-sPTHREAD_POOL_SIZE=Module.wsPoolSize||4"
    -sPTHREAD_POOL_SIZE_STRICT=0)
elseif(WS_WASM_VARIANT STREQUAL "debug")
  # Checked memory accesses and stack, JS-side assertions; function names kept for stack traces.
  target_link_options(weightscope_wasm_flags INTERFACE
    -sASSERTIONS=2
    -sSAFE_HEAP=1
    -sSTACK_OVERFLOW_CHECK=2
    -g2)
endif()
target_compile_options(weightscope_wasm_flags INTERFACE ${ws_flags})
target_link_options(weightscope_wasm_flags INTERFACE ${ws_flags})
message(STATUS "weightscope wasm variant ${WS_WASM_VARIANT} (${WS_WASM_EXPORT}): ${ws_flags}, ${ws_exceptions} exceptions")
