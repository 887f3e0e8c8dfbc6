#include "fit/incomplete_gamma.h"

#include <cmath>
#include <limits>

namespace ws {
namespace {

constexpr double kEps = 1e-16;
constexpr double kEulerGamma = 0.57721566490153286061;

// Continued fraction (modified Lentz) for Gamma(a, z) e^z z^-a; converges for every real a when
// z > 0, quickly once z >= 1.
double scaled_cf(double a, double z) {
  constexpr double tiny = 1e-300;
  double b = z + 1.0 - a, c = 1.0 / tiny, d = 1.0 / (std::fabs(b) < tiny ? tiny : b), h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return h;
}

// (Gamma(1 + b) - 1) / b for |b| <= 0.5, without the 0/0 at b = 0.
double gamma1pm1_over(double b) {
  if (std::fabs(b) < 1e-5) {
    // Taylor: Gamma(1+b) = 1 - g b + (g^2/2 + pi^2/12) b^2 - 0.9074790760808862 b^3 + ...
    return -kEulerGamma + 0.98905599532797255 * b - 0.90747907608088629 * b * b;
  }
  return std::expm1(std::lgamma(1.0 + b)) / b;
}

// Gamma(b, z) for |b| <= 0.5 and 0 < z <= 1: Gamma(b) - gamma(b, z) with the series of the lower
// function, its k = 0 term merged with Gamma(b) so that b -> 0 (E1) stays finite:
//   Gamma(b, z) = (Gamma(1+b) - 1)/b - (z^b - 1)/b - sum_{k>=1} (-1)^k z^(b+k) / (k! (b+k)).
double small_z_gamma(double b, double z) {
  const double lz = std::log(z);
  const double zb_m1_over_b = b == 0.0 ? lz : std::expm1(b * lz) / b;
  double term = 1.0, sum = 0.0;  // term = (-z)^k / k!
  for (int k = 1; k < 60; ++k) {
    term *= -z / k;
    const double t = term / (b + k);
    sum += t;
    if (std::fabs(t) < kEps * std::fabs(sum)) break;
  }
  return gamma1pm1_over(b) - zb_m1_over_b - std::exp(b * lz) * sum;
}

}  // namespace

double log_upper_gamma(double a, double z) {
  if (!(z > 0) || !std::isfinite(a) || !std::isfinite(z)) return std::numeric_limits<double>::quiet_NaN();
  const double lz = std::log(z);
  if (z >= 1.0) return -z + a * lz + std::log(scaled_cf(a, z));
  if (a > 0.5) {
    // Gamma(a) - gamma(a, z), gamma from its power series; no cancellation worth noting for z < 1.
    double term = 1.0 / a, sum = term;
    for (int k = 1; k < 200 && term > kEps * sum; ++k) sum += (term *= z / (a + k));
    return std::log(std::tgamma(a) - std::exp(-z + a * lz) * sum);
  }
  // Start at b = a - round(a) in [-0.5, 0.5], then step down to a with the recurrence
  // Gamma(c-1, z) = (Gamma(c, z) - z^(c-1) e^-z) / (c-1), carried on G_c = Gamma(c, z) z^-c e^z:
  //   G_(c-1) = (1 - z G_c) / (1 - c)   (all terms positive, 1 - c >= 0.5).
  const double steps = a < -0.5 ? -std::nearbyint(a) : 0.0;
  double c = a + steps;
  double G = small_z_gamma(c, z) * std::exp(z - c * lz);
  for (double s = 0; s < steps; ++s, c -= 1.0) G = (1.0 - z * G) / (1.0 - c);
  return std::log(G) + a * lz - z;
}

}  // namespace ws
