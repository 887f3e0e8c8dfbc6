#pragma once
// The one BLAS3 kernel of the spectrum engine: C += A B^T on the lower triangle of a symmetric
// matrix, from panels packed into micro-kernel order. Used for the Gram matrix (A = B = the
// converted weights) and for the rank-2k trailing update of the tridiagonal reduction.
// Double precision throughout.
#include <cstdint>
#include <vector>

#include "spectrum/simd.h"
#include "util/thread_pool.h"

namespace ws::spectrum {

// Packed panel of `rows` x `depth`: rows in groups of kGroup, each group stored p-major
// ([p][kGroup] contiguous) so the micro-kernel streams it; rows padded with zeros to kRowTile.
#if WS_SIMD_BYTES >= 32
constexpr int kGroup = simd::kLanes;  // one vector per group, 3 groups per row tile
constexpr int kGroupsPerTile = 3;
#else
constexpr int kGroup = 4;  // two 128-bit vectors per group: 8 accumulators fit 16 registers
constexpr int kGroupsPerTile = 1;
#endif
constexpr int kRowTile = kGroup * kGroupsPerTile;

inline int64_t padded_rows(int64_t rows) { return (rows + kRowTile - 1) / kRowTile * kRowTile; }
inline size_t packed_index(int64_t r, int64_t p, int64_t depth) {
  return static_cast<size_t>((r / kGroup) * depth * kGroup + p * kGroup + r % kGroup);
}

// C(r, c) += sum_p a(r, p) * b(c, p) for every c <= r < rows (C column-major, leading dim ldc).
// Entries just above the diagonal (within one tile) are written too: callers ignore the upper triangle.
// Work is split over the pool by row blocks; each C entry is written by one thread.
void lower_update(const double* a, const double* b, int64_t rows, int64_t depth, double* c, int64_t ldc,
                  ThreadPool& pool);

// C -= V W^T + W V^T on the lower triangle (rows x rows), V and W rows x nb column-major (leading
// dims ldv, ldw): the symmetric rank-2nb update of both tridiagonal reductions, packed as one
// lower_update of depth 2nb: [V W] [-W -V]^T.
void rank2k_update(const double* v, int64_t ldv, const double* w, int64_t ldw, int64_t rows, int64_t nb, double* c,
                   int64_t ldc, ThreadPool& pool);

// C(r, c) += sum_p a(r, p) * b(c, p) for all r < rows, c < cols, on the calling thread. a and b are
// packed like above but their groups lie a_gstride / b_gstride doubles apart (>= depth * kGroup), so
// a depth slice of a longer packed panel can be used in place. Rows of a / cols of b padded to a
// whole tile / group must be readable (zeros or not: only the valid part of C is written).
void gemm_update(const double* a, int64_t a_gstride, const double* b, int64_t b_gstride, int64_t rows,
                 int64_t cols, int64_t depth, double* c, int64_t ldc);

// Runs fn(t) for t in [0, n) on all pool threads, tasks claimed one at a time in order (so put
// the expensive ones first).
template <typename Fn>
void dynamic_for(ThreadPool& pool, int64_t n, Fn&& fn);

}  // namespace ws::spectrum

#include <atomic>
#include <type_traits>

namespace ws::spectrum {
// Each task is a call of its own, through a pointer the optimizers cannot see through (LLVM's and
// binaryen's inliners would fold fn into the loop): V8 runs a wasm function's baseline (Liftoff)
// code until that call returns, with no on-stack replacement, so a loop that ran every task inside
// one call would stay on baseline code for seconds (a 4096 x 4096 layer: 2x slower in all). Per
// task, the calls after the first few run the optimized code. Natively it costs one indirect call.
template <typename Fn>
void call_task(void* fn, int64_t t) {
  (*static_cast<std::remove_reference_t<Fn>*>(fn))(t);
}
template <typename Fn>
void dynamic_for(ThreadPool& pool, int64_t n, Fn&& fn) {
  std::atomic<int64_t> next{0};
  void (*volatile task)(void*, int64_t) = &call_task<Fn>;
  pool.parallel_for(std::min<int64_t>(pool.size(), n), [&](int64_t, int64_t) {
    for (int64_t t; (t = next.fetch_add(1)) < n;) task(&fn, t);
  });
}
}  // namespace ws::spectrum
