// Splitting work over std::threads for the preprocessing and windowing kernels.
// Ranges are contiguous and chosen from the data only, so results never depend on the thread count.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

namespace ef {

// double -> float as the hardware rounds it (what NumPy does), without the undefined behaviour of
// a C++ cast of a value beyond float's range: those round to +-inf.
inline float narrow(double v) {
    if (std::fabs(v) >= 0x1.ffffffp+127) return std::copysign(HUGE_VALF, v);
    return static_cast<float>(v);
}

// Number of worker threads: `requested` if > 0, else the hardware concurrency, but no more than
// one per `min_work` units of `work` (a broker-size batch is done before a thread would start:
// measured 1-4 ms of start and wake-up on a busy 2-core machine against ~20 us of work); never
// more than `items`. An explicit `requested` is honoured (up to `items`), as the tests rely on.
inline int resolve_threads(int requested, int64_t items, int64_t work = 0, int64_t min_work = 1) {
    int t = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
    if (requested <= 0 && min_work > 1) t = static_cast<int>(std::min<int64_t>(t, std::max<int64_t>(work / min_work, 1)));
    if (t < 1) t = 1;
    if (items < t) t = static_cast<int>(std::max<int64_t>(items, 1));
    return t;
}

// Work per automatically started thread: observations (preprocess, window planning) and floats
// of x written (window filling).
constexpr int64_t kMinObservationsPerThread = 65536;
constexpr int64_t kMinFloatsPerThread = int64_t(1) << 20;

// Boundaries b[0]=0 <= ... <= b[parts]=n splitting items 0..n-1 so each part gets about the same
// cumulative weight; `cum` has n + 1 entries (cum[i] = weight before item i, non-decreasing).
inline std::vector<int64_t> split_by_weight(const int64_t* cum, int64_t n, int parts) {
    std::vector<int64_t> b(parts + 1, n);
    b[0] = 0;
    const int64_t total = cum[n] - cum[0];
    for (int p = 1; p < parts; ++p) {
        const int64_t target = cum[0] + total * p / parts;
        b[p] = std::max(b[p - 1], static_cast<int64_t>(std::lower_bound(cum, cum + n + 1, target) - cum));
        b[p] = std::min(b[p], n);
    }
    return b;
}

// Runs fn(begin, end, part) on each range [b[i], b[i+1]) in its own thread (the first in the caller's);
// rethrows the first exception a worker raised once all have joined.
template <class Fn>
void run_ranges(const std::vector<int64_t>& b, Fn&& fn) {
    const int parts = static_cast<int>(b.size()) - 1;
    std::vector<std::exception_ptr> errors(parts);
    auto guarded = [&](int p) {
        try { fn(b[p], b[p + 1], p); } catch (...) { errors[p] = std::current_exception(); }
    };
    std::vector<std::thread> workers;
    for (int p = 1; p < parts; ++p) workers.emplace_back(guarded, p);
    if (parts > 0) guarded(0);
    for (auto& w : workers) w.join();
    for (auto& e : errors) if (e) std::rethrow_exception(e);
}

// Even split of n items into `parts` contiguous ranges.
inline std::vector<int64_t> split_even(int64_t n, int parts) {
    std::vector<int64_t> b(parts + 1);
    for (int p = 0; p <= parts; ++p) b[p] = n * p / parts;
    return b;
}

}  // namespace ef
