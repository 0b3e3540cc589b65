// Light-curve preprocessing (step 2 of the ELAsTiCC pipeline): per object, sort by MJD, drop
// saturated points, find the trigger and keep the history around it. Pure C++, no Python.
#pragma once
#include <cstdint>
#include <vector>

namespace ef {

constexpr int32_t kSaturated = 1024;  // SNANA PHOTFLAG bits (elasticc_fast.units)
constexpr int32_t kTrigger = 2048;
constexpr int32_t kDetection = 4096;
constexpr int kNumBands = 6;

// Flat observation columns of n objects; object i owns [offsets[i], offsets[i+1]).
struct LightCurves {
    const double* mjd;
    const uint8_t* band;
    const float* flux;
    const float* flux_err;
    const int32_t* flag;
    const int64_t* offsets;
    int64_t n_objects;
};

enum class Trigger { FirstDetection, Photflag };
enum class History { Window, All };

// The kept points of object `obj` (absolute indices into the columns, in output order) and its
// trigger MJD. Returns false (object dropped) when no unsaturated detection is left.
// `order` is scratch space reused between calls.
bool select_points(const LightCurves& lc, int64_t obj, Trigger trigger, History history,
                   std::vector<int64_t>& order, std::vector<int64_t>& keep, double& trigger_mjd);

// Pass 1: kept_len[i] = number of kept points of object i, or -1 when it is dropped;
// trigger_mjd[i] its trigger time (NaN when dropped).
void preprocess_count(const LightCurves& lc, Trigger trigger, History history, int threads,
                      int64_t* kept_len, double* trigger_mjd);

// Pass 2: write the kept points of object i from out_start[i] on (skips objects with
// out_start[i] < 0). Output columns hold sum of kept lengths entries.
void preprocess_fill(const LightCurves& lc, Trigger trigger, History history, int threads,
                     const int64_t* out_start, double* mjd, uint8_t* band, float* flux,
                     float* flux_err, int32_t* flag);

}  // namespace ef
