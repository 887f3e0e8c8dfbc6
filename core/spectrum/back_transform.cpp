#include "spectrum/back_transform.h"

#include <algorithm>
#include <vector>

#include "spectrum/packed_gemm.h"

#include "spectrum/fma_contract.h"

#include "spectrum/compact_wy.h"

namespace ws::spectrum {

namespace {

// Reflectors per block: the depth of the update Z -= V (T V^T Z); wider blocks run the products
// closer to the kernel's peak but cost more in T (n^2 nb flops in all).
constexpr int64_t kBlock = 128;

}  // namespace

void apply_reduction_q(const double* a, int64_t n, int64_t lda, const double* tau, double* z, int64_t ldz,
                       int64_t cols, ThreadPool& pool) {
  const int64_t nref = n - 1;  // reflector i acts on rows i+1 .. n-1
  if (nref <= 0 || cols <= 0) return;
  std::vector<double> v, vt_pack, v_pack, z_pack, vtv, t, w, w_pack, t_pack, y, y_pack;
  // Q = B_0 B_1 ... with B_b the block of reflectors [b0, b1): Q Z = B_0 (B_1 (... Z)), last block first.
  const int64_t nblocks = (nref + kBlock - 1) / kBlock;
  for (int64_t blk = nblocks - 1; blk >= 0; --blk) {
    const int64_t b0 = blk * kBlock, nb = std::min(kBlock, nref - b0), len = n - b0 - 1;
    // V explicitly: column t is reflector b0 + t over rows b0+1 .. n-1 (unit entry at row t).
    v.assign(static_cast<size_t>(len * nb), 0.0);
    for (int64_t c = 0; c < nb; ++c) {
      double* vc = v.data() + c * len;
      vc[c] = 1.0;
      std::copy(a + (b0 + c) * lda + b0 + c + 2, a + (b0 + c) * lda + n, vc + c + 1);
    }
    // V^T as the `a` operand (and V as the `b` operand of V^T V), -V as the `a` operand.
    vt_pack.resize(static_cast<size_t>(padded_rows(nb) * len));
    pack_cols(v.data(), len, len, nb, vt_pack.data(), pool);
    v_pack.resize(static_cast<size_t>(padded_rows(len) * nb));
    pack_rows(v.data(), len, len, nb, v_pack.data(), pool, -1.0);
    vtv.assign(static_cast<size_t>(nb * nb), 0.0);
    parallel_gemm(vt_pack.data(), vt_pack.data(), nb, nb, len, vtv.data(), nb, pool);
    t.resize(static_cast<size_t>(nb * nb));
    compact_wy_t(tau + b0, vtv.data(), nb, t.data());
    // W = V^T Z, Y = T W, Z -= V Y on rows b0+1 ..
    double* zb = z + b0 + 1;
    z_pack.resize(static_cast<size_t>(padded_rows(cols) * len));
    pack_cols(zb, ldz, len, cols, z_pack.data(), pool);
    w.assign(static_cast<size_t>(nb * cols), 0.0);
    parallel_gemm(vt_pack.data(), z_pack.data(), nb, cols, len, w.data(), nb, pool);
    t_pack.resize(static_cast<size_t>(padded_rows(nb) * nb));
    pack_rows(t.data(), nb, nb, nb, t_pack.data(), pool);
    w_pack.resize(static_cast<size_t>(padded_rows(cols) * nb));
    pack_cols(w.data(), nb, nb, cols, w_pack.data(), pool);
    y.assign(static_cast<size_t>(nb * cols), 0.0);
    parallel_gemm(t_pack.data(), w_pack.data(), nb, cols, nb, y.data(), nb, pool);
    y_pack.resize(static_cast<size_t>(padded_rows(cols) * nb));
    pack_cols(y.data(), nb, nb, cols, y_pack.data(), pool);
    parallel_gemm(v_pack.data(), y_pack.data(), len, cols, nb, zb, ldz, pool);
  }
}

}  // namespace ws::spectrum
