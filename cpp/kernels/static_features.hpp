// Per-object static features: HEAD values with SNANA sentinels mapped to one missing value, plus a
// Milky-Way-plane flag and deep-drilling-field flags from RA/Dec. Twin: reference.static_row.
#pragma once
#include <cstdint>

namespace ef {

struct StaticSpec {
    double missing = -9.0;            // value written for a sentinel or NaN
    const double* sentinels = nullptr;
    int n_sentinels = 0;
    bool flags = true;                // append MW-plane + one flag per DDF
    double sin_b_max = 0.0;           // MW plane: |sin b| < sin_b_max
    double ngp[3] = {0, 0, 0};        // north galactic pole, ICRS unit vector
    const double* ddf_ra = nullptr;   // field centres, degrees
    const double* ddf_dec = nullptr;
    int n_ddf = 0;
    double cos_radius = 1.0;          // inside a field: cos(separation) > cos_radius
};

inline int64_t n_static(const StaticSpec& s, int64_t k) { return k + (s.flags ? 1 + s.n_ddf : 0); }

// values (n, k) row-major float64; ra, dec (n,) degrees (read only when spec.flags);
// out (n, n_static) row-major float32.
void static_features(const double* values, int64_t n, int64_t k, const double* ra, const double* dec,
                     const StaticSpec& spec, float* out);

}  // namespace ef
