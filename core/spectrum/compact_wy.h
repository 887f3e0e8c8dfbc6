#pragma once
// The triangular factor of the compact WY form: H_0 H_1 ... H_{nr-1} = I - V T V^T for reflectors
// H_j = I - tau_j v_j v_j^T (LAPACK dlarft, forward, columnwise). Shared by the band reduction and
// the back-transformation of eigenvectors. Included after spectrum/fma_contract.h, like vector_ops.h.
#include <cstdint>

namespace ws::spectrum {

// t (nr x nr, column-major, upper triangular; zeros below) from tau and the Gram matrix
// vtv = V^T V (column-major; only its strict upper triangle is read).
inline void compact_wy_t(const double* tau, const double* vtv, int64_t nr, double* t) {
  for (int64_t j = 0; j < nr; ++j) {
    double* tj = t + j * nr;
    for (int64_t i = 0; i < nr; ++i) tj[i] = i < j ? -tau[j] * vtv[j * nr + i] : 0.0;
    for (int64_t i = 0; i < j; ++i) {  // tj = T(0:j, 0:j) tj, ascending i keeps unread entries intact
      double s = 0;
      for (int64_t l = i; l < j; ++l) s += t[l * nr + i] * tj[l];
      tj[i] = s;
    }
    tj[j] = tau[j];
  }
}

}  // namespace ws::spectrum
