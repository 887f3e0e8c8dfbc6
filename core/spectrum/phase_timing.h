#pragma once
// WS_SPECTRUM_TIMING=1 makes the spectrum engine print the time of each phase per matrix to stderr
// (for the benchmark, scripts/bench).
#include <chrono>
#include <cstdlib>

namespace ws::spectrum {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

inline bool timing_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("WS_SPECTRUM_TIMING");
    return v && *v && *v != '0';
  }();
  return on;
}

}  // namespace ws::spectrum
