#pragma once
// Where a layer's time goes, phase by phase (the `timings` option, for scripts/bench). Timing is
// opt-in: a PhaseClock without a PhaseTimes reads no clock, so unasked it costs a null test.
#include <chrono>

namespace ws {

// Seconds per phase. Summed over a layer's matrices: conv slices run one per thread, so on
// several threads the phases of one layer can add up to more than its wall time.
struct PhaseTimes {
  double read = 0;         // the tensor's bytes from the file (the browser: from the File)
  double decode = 0;       // the finite/non-zero check of every element and the matrix views
  double gram = 0;         // X = W^T W; the elements' conversion to double is fused into its packing
  double reduction = 0;    // Householder reduction of X to tridiagonal form
  double tridiagonal = 0;  // eigenvalues of the tridiagonal matrix
  double svd = 0;          // the exact SVD redone for rank-deficient small matrices
  double fit = 0;          // spectral metrics, the power-law fit, detX, the MP fit, the TPL fit
  double randomize = 0;    // the element-shuffled matrix's eigenvalues (randomize option)
  double json = 0;         // the layer's report entry and its plot data

  PhaseTimes& operator+=(const PhaseTimes& o) {
    read += o.read, decode += o.decode, gram += o.gram, reduction += o.reduction, tridiagonal += o.tridiagonal;
    svd += o.svd, fit += o.fit, randomize += o.randomize, json += o.json;
    return *this;
  }
};

// Laps of one thread's work: lap(&PhaseTimes::gram) adds the time since the previous lap (or the
// start) to gram. Does nothing when constructed with nullptr.
class PhaseClock {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PhaseClock(PhaseTimes* times) : times_(times), last_(times ? Clock::now() : Clock::time_point{}) {}
  void lap(double PhaseTimes::*phase) {
    if (!times_) return;
    const Clock::time_point now = Clock::now();
    times_->*phase += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }
  // Starts the next lap now, counting the time since the last one nowhere (a callee timed itself).
  void restart() {
    if (times_) last_ = Clock::now();
  }

 private:
  PhaseTimes* times_;
  Clock::time_point last_;
};

}  // namespace ws
