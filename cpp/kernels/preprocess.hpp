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

// The kept points of every object, selected once: object i keeps kept_len[i] points (-1 when
// dropped); the absolute indices of the kept points of the objects in parts[p] (a contiguous
// object range bounds[p]..bounds[p+1]) are keep[p], in output order.
struct Selection {
    std::vector<int64_t> bounds;
    std::vector<std::vector<int64_t>> keep;
};

// Pass 1: select the points of every object; fills kept_len (n) and trigger_mjd (n, NaN when dropped).
Selection preprocess_select(const LightCurves& lc, Trigger trigger, History history, int threads,
                            int64_t* kept_len, double* trigger_mjd);

// Pass 2: gather the selected points into the output columns (sum of kept lengths entries);
// out_start[i] is the output position of object i's first kept point (-1 when dropped).
void preprocess_gather(const LightCurves& lc, const Selection& sel, const int64_t* out_start,
                       double* mjd, uint8_t* band, float* flux, float* flux_err, int32_t* flag);

}  // namespace ef
