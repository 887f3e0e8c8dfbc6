#pragma once
// Progress inside one long step (a big layer takes minutes in the page): the steps of a layer report
// the fraction of their work done to the sink installed on the calling thread, if any. Reports are
// coarse (per 256-row slice of the Gram matrix, per panel of the reduction), so with no sink a report
// costs one thread-local test; pool threads never have one (small layers analyzed side by side
// report nothing).
#include <functional>

namespace ws {

// phase: "read", "gram", "reduction", "eigenvalues" or "fit"; fraction in [0, 1] of that phase.
using ProgressSink = std::function<void(const char* phase, double fraction)>;

// Installs sink on this thread while alive (nullptr: none); the previous one is restored after.
class ProgressScope {
 public:
  explicit ProgressScope(const ProgressSink* sink);
  ~ProgressScope();
  ProgressScope(const ProgressScope&) = delete;
  ProgressScope& operator=(const ProgressScope&) = delete;

 private:
  const ProgressSink* previous_;
};

void report_progress(const char* phase, double fraction);

}  // namespace ws
