// Windowing of preprocessed light curves into padded (N, T, F) float32 arrays (step 3 of the
// ELAsTiCC pipeline). Pure C++; the Python twin is elasticc_fast.reference.augment.
#pragma once
#include <cstdint>
#include <vector>

#include "preprocess.hpp"

namespace ef {

enum class WindowMode { Prefix, Fraction, Days, Full };

struct WindowSpec {
    WindowMode mode = WindowMode::Full;
    const double* days = nullptr;  // Days mode: window ends, days since trigger
    int64_t n_days = 0;
    int64_t min_length = 1;        // windows shorter than this are skipped
    int64_t max_length = -1;       // longer windows are cut to this (-1: no cut)
    bool keep_last = true;         // cut keeps the last (true) or first max_length points
    uint64_t seed = 0;             // Fraction mode
    int64_t index_base = 0;        // global index of object 0 (for per-object random streams)
};

struct FeatureSpec {
    double time_scale = 100.0;     // t = (mjd - trigger_mjd) / time_scale
    bool asinh = false;            // flux features: asinh(flux) instead of flux / flux_divisor
    double flux_divisor = 1000.0;
    bool onehot = false;           // band: 6 one-hot columns instead of wavelength in microns
};

inline int n_features(const FeatureSpec& f) { return f.onehot ? 4 + kNumBands : 5; }

// One window: points [lo, hi) of object obj (relative to the object's first point), after the cut.
struct Window {
    int64_t obj;
    int64_t lo;
    int64_t hi;
    double day;  // the Days-mode value, NaN otherwise
};

// U[0,1) number of object `index` (SplitMix64 stream per object; twin: reference.uniform).
double uniform01(uint64_t seed, uint64_t index);

// The windows of every object, in object order (deterministic for any thread count).
std::vector<Window> plan_windows(const LightCurves& lc, const double* trigger_mjd,
                                 const WindowSpec& spec, int threads);

// Fill the outputs of windows w = 0..N-1: x (N, T, F) zero-padded, lengths, source (object
// index), t_end (days since trigger of the last point in x), static_out (N, S) rows copied from
// static_obj (n, S), day_out (N). Throws std::invalid_argument on a band index >= 6.
void fill_windows(const LightCurves& lc, const double* trigger_mjd, const std::vector<Window>& windows,
                  const FeatureSpec& feat, int64_t T, const float* static_obj, int64_t S, int threads,
                  float* x, int32_t* lengths, int64_t* source, double* t_end, float* static_out,
                  double* day_out);

}  // namespace ef
