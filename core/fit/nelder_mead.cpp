#include "fit/nelder_mead.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ws {

NelderMeadResult nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                             std::vector<double> x0, const NelderMeadOptions& opt) {
  const size_t n = x0.size();
  std::vector<std::vector<double>> sim(n + 1, x0);
  for (size_t i = 0; i < n; ++i) sim[i + 1][i] = x0[i] != 0 ? x0[i] * (1 + opt.initial_step) : 0.00025;
  NelderMeadResult r;
  std::vector<double> fs(n + 1);
  for (size_t i = 0; i <= n; ++i) fs[i] = f(sim[i]);
  r.evals = static_cast<int>(n + 1);

  std::vector<size_t> order(n + 1);
  auto point = [&](const std::vector<double>& c, const std::vector<double>& w, double t) {
    std::vector<double> p(n);
    for (size_t j = 0; j < n; ++j) p[j] = c[j] + t * (w[j] - c[j]);
    return p;
  };
  while (r.evals < opt.max_evals) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return fs[a] < fs[b]; });
    std::vector<std::vector<double>> s2(n + 1);
    std::vector<double> f2(n + 1);
    for (size_t i = 0; i <= n; ++i) s2[i] = sim[order[i]], f2[i] = fs[order[i]];
    sim.swap(s2);
    fs.swap(f2);

    double xspread = 0, fspread = 0;
    for (size_t i = 1; i <= n; ++i) {
      fspread = std::max(fspread, std::fabs(fs[i] - fs[0]));
      for (size_t j = 0; j < n; ++j) xspread = std::max(xspread, std::fabs(sim[i][j] - sim[0][j]));
    }
    if (xspread <= opt.xatol && fspread <= opt.fatol) {
      r.converged = true;
      break;
    }

    std::vector<double> centroid(n, 0.0);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) centroid[j] += sim[i][j] / n;
    const std::vector<double>& worst = sim[n];
    const std::vector<double> xr = point(centroid, worst, -1.0);
    const double fr = f(xr);
    ++r.evals;
    if (fr < fs[0]) {
      const std::vector<double> xe = point(centroid, worst, -2.0);
      const double fe = f(xe);
      ++r.evals;
      if (fe < fr) sim[n] = xe, fs[n] = fe;
      else sim[n] = xr, fs[n] = fr;
    } else if (fr < fs[n - 1]) {
      sim[n] = xr, fs[n] = fr;
    } else {
      // Contract outside (towards xr) if xr beats the worst, else inside.
      const bool outside = fr < fs[n];
      const std::vector<double> xc = point(centroid, worst, outside ? -0.5 : 0.5);
      const double fc = f(xc);
      ++r.evals;
      if (outside ? fc <= fr : fc < fs[n]) {
        sim[n] = xc, fs[n] = fc;
      } else {
        for (size_t i = 1; i <= n; ++i) {
          sim[i] = point(sim[0], sim[i], 0.5);
          fs[i] = f(sim[i]);
          ++r.evals;
        }
      }
    }
  }
  const size_t best = std::min_element(fs.begin(), fs.end()) - fs.begin();
  r.x = sim[best];
  r.f = fs[best];
  return r;
}

}  // namespace ws
