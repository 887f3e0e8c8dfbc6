#include "fit/truncated_power_law.h"

#include <algorithm>
#include <cmath>

#include "fit/incomplete_gamma.h"
#include "fit/nelder_mead.h"

namespace ws {
namespace {

// Neumaier-compensated sum: the log-likelihoods depend on the data only through n, sum ln x and
// sum x, so their accuracy is the accuracy of these sums.
struct Sum {
  double s = 0, c = 0;
  void add(double v) {
    const double t = s + v;
    c += std::fabs(s) >= std::fabs(v) ? (s - t) + v : (v - t) + s;
    s = t;
  }
  double value() const { return s + c; }
};

// ln C of p(x) = C x^-alpha e^(-lambda x) on [xmin, inf): C = lambda^(1-alpha) / Gamma(1-alpha, lambda xmin).
double tpl_log_norm(double alpha, double lambda, double xmin) {
  return (1.0 - alpha) * std::log(lambda) - log_upper_gamma(1.0 - alpha, lambda * xmin);
}

struct Tail {
  bool ok = false;
  double n = 0, sum_log_ratio = 0, sum_log = 0, sum_x = 0;
  double alpha_pl = 0;  // Hill estimate: the reference's 'power_law' on this tail
};

Tail summarize(const std::vector<double>& tail, double xmin) {
  Tail t;
  if (tail.size() < 2 || !(xmin > 0) || !std::isfinite(xmin)) return t;
  Sum lr, sx;
  for (double x : tail) {
    if (!std::isfinite(x) || x < xmin) return t;
    lr.add(std::log(x / xmin));
    sx.add(x);
  }
  t.n = static_cast<double>(tail.size());
  t.sum_log_ratio = lr.value();
  t.sum_log = t.sum_log_ratio + t.n * std::log(xmin);
  t.sum_x = sx.value();
  t.alpha_pl = 1.0 + t.n / t.sum_log_ratio;
  t.ok = t.alpha_pl > 1.0 && std::isfinite(t.alpha_pl);
  return t;
}

double tpl_loglik(const Tail& t, double xmin, double alpha, double lambda) {
  return t.n * tpl_log_norm(alpha, lambda, xmin) - alpha * t.sum_log - lambda * t.sum_x;
}

TruncatedPowerLawFit evaluate(const std::vector<double>& tail, double xmin, const Tail& t, double alpha,
                              double lambda) {
  TruncatedPowerLawFit r;
  r.alpha = alpha;
  r.lambda = lambda;
  r.pl_loglik = t.n * std::log((t.alpha_pl - 1.0) / xmin) - t.alpha_pl * t.sum_log_ratio;
  r.loglik = tpl_loglik(t, xmin, alpha, lambda);
  if (!(alpha > 1.0) || !(lambda > 0) || !std::isfinite(r.loglik)) return r;

  // powerlaw.loglikelihood_ratio(l_PL, l_TPL, nested=True, normalized_ratio=True): R = sum d_i with
  // d_i = l_PL(x_i) - l_TPL(x_i); p from Wilks on the raw R: 1 - chi2_1.cdf(2|R|) = erfc(sqrt|R|);
  // the reported R is normalised by sqrt(n var(d)) (population variance). R < 0 favours the TPL.
  const double ln_c_pl = std::log((t.alpha_pl - 1.0) / xmin) + t.alpha_pl * std::log(xmin);
  const double ln_c_tpl = tpl_log_norm(alpha, lambda, xmin);
  std::vector<double> d(tail.size());
  Sum R;
  for (size_t i = 0; i < tail.size(); ++i) {
    const double lx = std::log(tail[i]);
    d[i] = (ln_c_pl - t.alpha_pl * lx) - (ln_c_tpl - alpha * lx - lambda * tail[i]);
    R.add(d[i]);
  }
  const double raw_R = R.value(), mean = raw_R / t.n;
  Sum sum_sq;
  for (double v : d) sum_sq.add((v - mean) * (v - mean));
  const double spread = std::sqrt(sum_sq.value());  // = sqrt(n * population variance)
  r.p = std::erfc(std::sqrt(std::fabs(raw_R)));
  // A TPL that collapsed onto the PL (lambda -> 0) has d_i constant: no evidence either way.
  r.R = spread > 0 ? raw_R / spread : 0.0;
  r.ok = std::isfinite(r.R) && std::isfinite(r.p);
  return r;
}

}  // namespace

TruncatedPowerLawFit truncated_power_law_at(const std::vector<double>& tail, double xmin, double alpha,
                                            double lambda) {
  const Tail t = summarize(tail, xmin);
  return t.ok ? evaluate(tail, xmin, t, alpha, lambda) : TruncatedPowerLawFit{};
}

TruncatedPowerLawFit fit_truncated_power_law(const std::vector<double>& tail, double xmin) {
  const Tail t = summarize(tail, xmin);
  if (!t.ok) return {};
  // MLE over (alpha, ln lambda) in powerlaw's range alpha > 1, from powerlaw's start
  // (alpha_Hill, 1 / mean x). Tight tolerances: the reference's fmin (xtol = ftol = 1e-4) stops up
  // to ~0.5% short of this optimum in lambda (docs/methods.md, "Truncated power law").
  auto objective = [&](const std::vector<double>& p) {
    if (!(p[0] > 1.0)) return 1e300;
    const double ll = tpl_loglik(t, xmin, p[0], std::exp(p[1]));
    return std::isfinite(ll) ? -ll : 1e300;
  };
  NelderMeadOptions nm;
  nm.fatol = 1e-13 * std::max(1.0, t.n);
  const NelderMeadResult best = nelder_mead(objective, {t.alpha_pl, std::log(t.n / t.sum_x)}, nm);
  return evaluate(tail, xmin, t, best.x[0], std::exp(best.x[1]));
}

}  // namespace ws
