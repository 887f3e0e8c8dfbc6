#pragma once
// General (non-symmetric) products on the packed micro-kernel of lower_update.h: column-major
// operands are packed once into micro-kernel order, then C += A B^T runs over tiles of C split
// across the pool. Used by the band reduction and by the eigenvector path (divide-and-conquer
// merges, back-transformation by the Householder reflectors).
#include <cstdint>
#include <vector>

#include "spectrum/lower_update.h"
#include "util/thread_pool.h"

namespace ws::spectrum {

// Packs x (rows x cols, column-major, leading dim ldx) as the `a` operand of gemm_update with
// depth = cols (row groups, p-major), rows padded with zeros to a whole tile; every entry times
// `scale`. Row groups in parallel. Needs padded_rows(rows) * cols doubles.
void pack_rows(const double* x, int64_t ldx, int64_t rows, int64_t cols, double* out, ThreadPool& pool,
               double scale = 1.0);

// Packs x^T the same way: depth = rows, one group per kGroup columns, columns padded to a whole
// tile; group stride rows * kGroup. Column groups in parallel (inline when called from a pool
// task). Needs padded_rows(cols) * rows doubles.
void pack_cols(const double* x, int64_t ldx, int64_t rows, int64_t cols, double* out, ThreadPool& pool);

// C (rows x cols, leading dim ldc) += A B^T for a packed by pack_rows / pack_cols with `depth`
// (rows of A) and b packed likewise (cols of B): tiles of C in blocks of rows and columns,
// claimed dynamically by the pool.
void parallel_gemm(const double* a, const double* b, int64_t rows, int64_t cols, int64_t depth, double* c,
                   int64_t ldc, ThreadPool& pool);

// Buffers for one product: C += A B with A (rows x depth) and B (depth x cols) column-major, or
// C += A^T B with A (depth x rows). Holds the packed operands so repeated products reuse memory.
struct GemmBuffers {
  std::vector<double> a, b;
};
void gemm_nn(const double* a, int64_t lda, const double* b, int64_t ldb, int64_t rows, int64_t cols, int64_t depth,
             double* c, int64_t ldc, GemmBuffers& buf, ThreadPool& pool, double alpha = 1.0);
void gemm_tn(const double* a, int64_t lda, const double* b, int64_t ldb, int64_t rows, int64_t cols, int64_t depth,
             double* c, int64_t ldc, GemmBuffers& buf, ThreadPool& pool);

}  // namespace ws::spectrum
