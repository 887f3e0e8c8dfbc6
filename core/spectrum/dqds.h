#pragma once
// Squared singular values of an upper bidiagonal matrix by the dqds algorithm (Fernando and Parlett;
// LAPACK dlasq1's method, here with a simpler shift strategy): square-root free, one division per
// entry and step, on the squared entries q_i = d_i^2, e_i = e_i^2 of the bidiagonal.
#include <cstdint>

namespace ws::spectrum {

// q: n squared diagonal entries, replaced by the squared singular values in ascending order;
// e: n - 1 squared superdiagonal entries, destroyed. Entries must be finite and >= 0, scaled so
// that their squares neither overflow nor underflow. Each result has high relative accuracy (far
// better than the eps * sv_max absolute the callers need). Returns false (q, e then unusable) if
// the iteration does not converge in 30 n steps.
bool dqds(double* q, double* e, int64_t n);

}  // namespace ws::spectrum
