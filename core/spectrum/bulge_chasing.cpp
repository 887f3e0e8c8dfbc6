#include "spectrum/bulge_chasing.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "spectrum/fma_contract.h"

#include "spectrum/vector_ops.h"

namespace ws::spectrum {

namespace {

// The band with room for the bulge: entry (r, c), c <= r < c + 2b, at s[c * ld + r - c]; the
// columns of every block are contiguous.
struct Band {
  std::vector<double> s;
  int64_t n, b, ld;
  double* col(int64_t r, int64_t c) { return s.data() + c * ld + (r - c); }
};

// A(st:st+len, st:st+len) <- H A H for the symmetric block (lower stored), H = I - tau v v^T.
void two_sided(Band& band, int64_t st, int64_t len, const double* v, double tau, double* w) {
  std::fill(w, w + len, 0.0);
  for (int64_t c = 0; c < len; ++c) {  // w = A v from the lower half
    const double* col = band.col(st + c, st + c);
    w[c] += col[0] * v[c] + dot(col + 1, v + c + 1, len - c - 1);
    axpy(v[c], col + 1, w + c + 1, len - c - 1);
  }
  for (int64_t i = 0; i < len; ++i) w[i] *= tau;
  axpy(-0.5 * tau * dot(w, v, len), v, w, len);
  for (int64_t c = 0; c < len; ++c) {  // A -= v w^T + w v^T
    double* col = band.col(st + c, st + c);
    axpy(-w[c], v + c, col, len - c);
    axpy(-v[c], w + c, col, len - c);
  }
}

// One sweep: annihilates column i below its subdiagonal, then chases the bulge down the band.
// Step s works on the diagonal block starting at st = i + 1 + s*b and on the block below it;
// progress counts finished steps (for the sweep behind this one).
void sweep(Band& band, int64_t i, std::atomic<int64_t>& progress, const std::atomic<int64_t>* ahead,
           double* work) {
  const int64_t n = band.n, b = band.b;
  double* v = work;
  double* vnext = work + b;
  double* w = work + 2 * b;
  // The sweep ahead must have finished the region of this one's next steps: its step s + 1 writes
  // the first entry of this sweep's block below the diagonal block of step s (one more for margin).
  auto wait_ahead = [&](int64_t s) {
    if (ahead)
      while (ahead->load(std::memory_order_acquire) < s + 3) std::this_thread::yield();
  };
  int64_t st = i + 1, len = std::min(b, n - st);
  wait_ahead(0);
  double* x = band.col(st, i);
  v[0] = 1.0;
  std::copy(x + 1, x + len, v + 1);
  double beta, tau = householder(x[0], v + 1, len - 1, beta);
  x[0] = beta;
  std::fill(x + 1, x + len, 0.0);
  for (int64_t s = 0;; ++s) {
    wait_ahead(s);
    if (tau != 0.0) two_sided(band, st, len, v, tau, w);
    const int64_t j1 = st + len, blen = std::min(b, n - j1);
    if (blen <= 0) break;
    // Below-block B = A(j1 : j1+blen, st : st+len): B <- B H fills it completely.
    if (tau != 0.0) {
      std::fill(w, w + blen, 0.0);
      for (int64_t c = 0; c < len; ++c) axpy(v[c], band.col(j1, st + c), w, blen);
      for (int64_t c = 0; c < len; ++c) axpy(-tau * v[c], w, band.col(j1, st + c), blen);
    }
    // New reflector from B's first column; applied from the left to the rest of B.
    x = band.col(j1, st);
    vnext[0] = 1.0;
    std::copy(x + 1, x + blen, vnext + 1);
    const double tnext = householder(x[0], vnext + 1, blen - 1, beta);
    x[0] = beta;
    std::fill(x + 1, x + blen, 0.0);
    if (tnext != 0.0)
      for (int64_t c = 1; c < len; ++c) {
        double* bc = band.col(j1, st + c);
        axpy(-tnext * dot(vnext, bc, blen), vnext, bc, blen);
      }
    progress.store(s + 1, std::memory_order_release);
    std::swap(v, vnext);
    tau = tnext;
    st = j1;
    len = blen;
  }
  progress.store(INT64_MAX, std::memory_order_release);
}

}  // namespace

void band_to_tridiagonal(const double* a, int64_t n, int64_t lda, int64_t b, double* d, double* e, ThreadPool& pool) {
  b = std::max<int64_t>(1, std::min(b, n - 1));
  Band band{{}, n, b, 2 * b};
  band.s.assign(static_cast<size_t>(n * band.ld), 0.0);
  for (int64_t c = 0; c < n; ++c) {
    const int64_t len = std::min(b + 1, n - c);
    std::copy(a + c * lda + c, a + c * lda + c + len, band.col(c, c));
  }
  if (b > 1) {
    // Sweeps are claimed in order, so the one ahead of a claimed sweep is always running or done.
    const int64_t sweeps = n - 2;
    std::unique_ptr<std::atomic<int64_t>[]> progress(new std::atomic<int64_t>[sweeps]);
    for (int64_t i = 0; i < sweeps; ++i) progress[i].store(0);
    std::atomic<int64_t> next{0};
    const int threads = n >= 512 ? pool.size() : 1;
    // One call per sweep through a pointer the inliners cannot see through: in wasm, a loop over
    // all sweeps inside one call would run V8's baseline code throughout (see dynamic_for).
    void (*volatile run_sweep)(Band&, int64_t, std::atomic<int64_t>&, const std::atomic<int64_t>*, double*) = &sweep;
    pool.parallel_for(threads, [&](int64_t, int64_t) {
      std::vector<double> work(static_cast<size_t>(3 * b));
      for (int64_t i; (i = next.fetch_add(1)) < sweeps;)
        run_sweep(band, i, progress[i], i > 0 ? &progress[i - 1] : nullptr, work.data());
    });
  }
  for (int64_t i = 0; i < n; ++i) d[i] = *band.col(i, i);
  for (int64_t i = 0; i + 1 < n; ++i) e[i] = *band.col(i + 1, i);
}

}  // namespace ws::spectrum
