#pragma once
// Marchenko-Pastur bulk fit, the reference tool's brute-force sigma grid against a KDE
// (docs/methods.md, "MP fit").
#include <cstdint>
#include <vector>

namespace ws {

class ThreadPool;

struct MpFit {
  bool ok = false;
  double sigma_mp = 0, W_scale = 0;
  double bulk_min = 0, bulk_max = 0;  // original eigenvalue units
  int64_t num_spikes = 0;             // rescaled evals above bulk_max + sqrt(TW)
  double mp_softrank = 0;             // bulk_max / lambda_max
};

// sorted_evals ascending; Q = N / M; M = smaller side of one matrix. The sigma grid is spread over
// pool (the result does not depend on its size).
MpFit fit_marchenko_pastur(const std::vector<double>& sorted_evals, double Q, int64_t M, ThreadPool& pool);

// The MP density for ratio Q and scale sigma at x (zero outside the bulk).
double marchenko_pastur_pdf(double x, double Q, double sigma);

}  // namespace ws
