#pragma once
// Upper incomplete gamma function in log space, for any real a (negative included) and z > 0:
//   ln Gamma(a, z) = ln of the integral from z to infinity of t^(a-1) e^-t dt
// (mpmath.gammainc(a, z) in the reference). The truncated power law needs a = 1 - alpha < 0 with
// z = lambda * xmin anywhere in (0, inf); logs keep z^a from overflowing as z -> 0.
// Accuracy: ~1e-14 relative on Gamma (tested against closed forms and the recurrence).

namespace ws {

double log_upper_gamma(double a, double z);

}  // namespace ws
