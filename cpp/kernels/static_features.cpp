#include "static_features.hpp"

#include <cmath>

#include "augment_parallel.hpp"

namespace ef {
namespace {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;  // as CPython's math.radians

inline void unit_vector(double ra_deg, double dec_deg, double v[3]) {
    const double a = ra_deg * kDegToRad, d = dec_deg * kDegToRad;
    v[0] = std::cos(d) * std::cos(a);
    v[1] = std::cos(d) * std::sin(a);
    v[2] = std::sin(d);
}

inline double dot(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

}  // namespace

void static_features(const double* values, int64_t n, int64_t k, const double* ra, const double* dec,
                     const StaticSpec& spec, float* out) {
    const int64_t S = n_static(spec, k);
    for (int64_t i = 0; i < n; ++i) {
        float* r = out + i * S;
        for (int64_t j = 0; j < k; ++j) {
            const double v = values[i * k + j];
            bool missing = std::isnan(v);
            for (int s = 0; s < spec.n_sentinels && !missing; ++s) missing = (v == spec.sentinels[s]);
            r[j] = narrow(missing ? spec.missing : v);
        }
        if (!spec.flags) continue;
        double v[3], c[3];
        unit_vector(ra[i], dec[i], v);
        r[k] = std::fabs(dot(v, spec.ngp)) < spec.sin_b_max ? 1.0f : 0.0f;
        for (int f = 0; f < spec.n_ddf; ++f) {
            unit_vector(spec.ddf_ra[f], spec.ddf_dec[f], c);
            r[k + 1 + f] = dot(v, c) > spec.cos_radius ? 1.0f : 0.0f;
        }
    }
}

}  // namespace ef
