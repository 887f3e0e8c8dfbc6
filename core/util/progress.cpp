#include "util/progress.h"

namespace ws {
namespace {

thread_local const ProgressSink* current = nullptr;

}  // namespace

ProgressScope::ProgressScope(const ProgressSink* sink) : previous_(current) { current = sink && *sink ? sink : nullptr; }

ProgressScope::~ProgressScope() { current = previous_; }

void report_progress(const char* phase, double fraction) {
  if (current) (*current)(phase, fraction);
}

}  // namespace ws
