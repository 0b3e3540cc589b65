// Preprocessing kernel; the pure-Python twin is elasticc_fast.reference.LSSTSource.process_lightcurve.
#include "preprocess.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "augment_parallel.hpp"

namespace ef {
namespace {

// Strict weak order on MJD with NaN last (so a stable sort is well defined on any input).
inline bool mjd_less(double a, double b) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return a < b;
}

}  // namespace

// Window/all selection on points already in time order with none saturated (the common case:
// converted SNANA files), from one scan's results; same rules as the general path below.
static bool select_clean(const LightCurves& lc, int64_t lo, int64_t n, int64_t first_det, int64_t last_det,
                         int64_t trig_pos, Trigger trigger, History history, std::vector<int64_t>& keep,
                         double& trigger_mjd) {
    if (first_det < 0) return false;
    const int64_t tr = (trigger == Trigger::Photflag && trig_pos >= 0) ? trig_pos : first_det;
    trigger_mjd = lc.mjd[lo + tr];
    if (history == History::All) {
        for (int64_t k = 0; k < n; ++k) keep.push_back(lo + k);
        return true;
    }
    int64_t last_before = -1;
    for (int64_t k = tr - 1; k >= 0; --k)
        if (!(lc.flag[lo + k] & kDetection)) { last_before = k; break; }
    int64_t start = std::min(first_det, tr);
    if (last_before >= 0) start = std::min(start, last_before);
    const int64_t end = std::max(last_det, tr);
    for (int64_t k = start; k <= end; ++k) {
        const bool det = lc.flag[lo + k] & kDetection;
        if (det || k == tr || k == last_before || (k > tr && k < last_det)) keep.push_back(lo + k);
    }
    return true;
}

bool select_points(const LightCurves& lc, int64_t obj, Trigger trigger, History history,
                   std::vector<int64_t>& order, std::vector<int64_t>& keep, double& trigger_mjd) {
    const int64_t lo = lc.offsets[obj], hi = lc.offsets[obj + 1];
    keep.clear();
    trigger_mjd = std::numeric_limits<double>::quiet_NaN();
    // one scan: time order? any saturated point? first/last detection, first trigger flag
    bool sorted = true, any_saturated = false;
    int64_t first_det = -1, last_det = -1, trig_pos = -1;
    for (int64_t i = lo; i < hi; ++i) {
        const int32_t f = lc.flag[i];
        if (i > lo && mjd_less(lc.mjd[i], lc.mjd[i - 1])) sorted = false;
        any_saturated |= (f & kSaturated) != 0;
        if (f & kDetection) { if (first_det < 0) first_det = i - lo; last_det = i - lo; }
        if ((f & kTrigger) && trig_pos < 0) trig_pos = i - lo;
    }
    if (sorted && !any_saturated)
        return select_clean(lc, lo, hi - lo, first_det, last_det, trig_pos, trigger, history, keep, trigger_mjd);
    // general path: 1. stable order by MJD
    order.clear();
    for (int64_t i = lo; i < hi; ++i) order.push_back(i);
    if (!sorted)
        std::stable_sort(order.begin(), order.end(),
                         [&](int64_t a, int64_t b) { return mjd_less(lc.mjd[a], lc.mjd[b]); });
    // 2. the PHOTFLAG trigger point (first flagged in time order; unusable when saturated)
    int64_t trig_abs = -1;
    for (int64_t i : order)
        if (lc.flag[i] & kTrigger) { trig_abs = (lc.flag[i] & kSaturated) ? -1 : i; break; }
    // 3. drop saturated points; locate first/last detection and the trigger among the rest
    int64_t n = 0;
    first_det = last_det = trig_pos = -1;
    for (int64_t i : order) {
        if (lc.flag[i] & kSaturated) continue;
        if (lc.flag[i] & kDetection) { if (first_det < 0) first_det = n; last_det = n; }
        if (i == trig_abs) trig_pos = n;
        order[n++] = i;  // compact in place: order[0..n) are the unsaturated points
    }
    if (first_det < 0) return false;
    const int64_t tr = (trigger == Trigger::Photflag && trig_pos >= 0) ? trig_pos : first_det;
    trigger_mjd = lc.mjd[order[tr]];
    if (history == History::All) {
        keep.assign(order.begin(), order.begin() + n);
        return true;
    }
    int64_t last_before = -1;  // last non-detection before the trigger
    for (int64_t i = tr - 1; i >= 0; --i)
        if (!(lc.flag[order[i]] & kDetection)) { last_before = i; break; }
    for (int64_t i = 0; i < n; ++i) {
        const bool det = lc.flag[order[i]] & kDetection;
        if (det || i == tr || i == last_before || (i > tr && i < last_det)) keep.push_back(order[i]);
    }
    return true;
}

Selection preprocess_select(const LightCurves& lc, Trigger trigger, History history, int threads,
                            int64_t* kept_len, double* trigger_mjd) {
    const int parts = resolve_threads(threads, lc.n_objects, lc.offsets[lc.n_objects] - lc.offsets[0],
                                      kMinObservationsPerThread);
    Selection sel;
    sel.bounds = split_by_weight(lc.offsets, lc.n_objects, parts);
    sel.keep.resize(parts);
    run_ranges(sel.bounds, [&](int64_t b, int64_t e, int p) {
        std::vector<int64_t> order, keep;
        std::vector<int64_t>& all = sel.keep[p];
        all.reserve(static_cast<size_t>(lc.offsets[e] - lc.offsets[b]));
        for (int64_t i = b; i < e; ++i) {
            const bool ok = select_points(lc, i, trigger, history, order, keep, trigger_mjd[i]);
            kept_len[i] = ok ? static_cast<int64_t>(keep.size()) : -1;
            if (ok) all.insert(all.end(), keep.begin(), keep.end());
        }
    });
    return sel;
}

void preprocess_gather(const LightCurves& lc, const Selection& sel, const int64_t* out_start,
                       double* mjd, uint8_t* band, float* flux, float* flux_err, int32_t* flag) {
    run_ranges(sel.bounds, [&](int64_t b, int64_t e, int p) {
        int64_t o = -1;  // output position of the part's first kept point
        for (int64_t i = b; i < e && o < 0; ++i) o = out_start[i];
        if (o < 0) return;
        for (int64_t j : sel.keep[p]) {
            mjd[o] = lc.mjd[j]; band[o] = lc.band[j]; flux[o] = lc.flux[j];
            flux_err[o] = lc.flux_err[j]; flag[o] = lc.flag[j];
            ++o;
        }
    });
}

}  // namespace ef
