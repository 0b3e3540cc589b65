#include "snana.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ef {

namespace {

int required_column(const FitsTable& t, const char* name, const char* role) {
    int c = t.find(name);
    if (c < 0) throw FormatError(t.file + ": no " + name + " column (" + role + ")");
    return c;
}

std::vector<double> mjd_column(const FitsTable& phot) {
    int c = required_column(phot, "MJD", "a SNANA PHOT table needs it");
    const size_t col = static_cast<size_t>(c);
    const FitsColumn& fc = phot.columns[col];
    if (fc.code == 'A' || fc.code == 'L')
        throw FormatError(phot.file + ": column 'MJD' must be numeric, has TFORM '" + fc.tform + "'");
    const size_t n = static_cast<size_t>(phot.n_rows);
    std::vector<double> mjd(n);
    if (fc.kind == Kind::Float64) {
        gather_numeric(phot, col, nullptr, n, mjd.data());
    } else if (fc.kind == Kind::Float32) {
        std::vector<float> f(n);
        gather_numeric(phot, col, nullptr, n, f.data());
        std::copy(f.begin(), f.end(), mjd.begin());
    } else {
        for (size_t r = 0; r < n; ++r) mjd[r] = value_as_double(phot, col, static_cast<int64_t>(r));
    }
    return mjd;
}

std::string phot_where(const SnanaPair& p, int64_t i) {
    return p.phot.file + " (paired with " + p.head.file + "): " + describe_object(p.head, i);
}

void pair_by_pointers(SnanaPair& p, const std::vector<double>& mjd) {
    const FitsTable& h = p.head;
    size_t cmin = static_cast<size_t>(required_column(h, "PTROBS_MIN", "pointers into the PHOT table"));
    size_t cmax = static_cast<size_t>(required_column(h, "PTROBS_MAX", "pointers into the PHOT table"));
    const int64_t nphot = p.phot.n_rows;
    // Each PHOT row belongs to one object at most: this also bounds the output by the PHOT size.
    std::vector<bool> taken(static_cast<size_t>(nphot), false);
    for (int64_t i = 0; i < h.n_rows; ++i) {
        int64_t lo = value_as_int64(h, cmin, i), hi = value_as_int64(h, cmax, i);
        std::string ptr = "PTROBS_MIN = " + std::to_string(lo) + ", PTROBS_MAX = " + std::to_string(hi);
        if (hi < lo - 1) throw FormatError(phot_where(p, i) + ": " + ptr + " (MAX < MIN - 1)");
        if (lo < 1 || hi > nphot)
            throw FormatError(phot_where(p, i) + ": pointers outside the PHOT table (" + ptr + ", PHOT has " +
                              std::to_string(nphot) + " rows)");
        // SNANA writes the separator right after the object's last row (1-based hi + 1 = 0-based hi).
        if (hi >= nphot || mjd[static_cast<size_t>(hi)] != kSeparatorMjd)
            throw FormatError(phot_where(p, i) + ": missing MJD = -777 separator row after the object (" + ptr +
                              (hi < nphot ? ", PHOT row " + std::to_string(hi + 1) + " has MJD = " + std::to_string(mjd[static_cast<size_t>(hi)])
                                          : ", PHOT table ends at row " + std::to_string(hi)) +
                              ")");
        for (int64_t r = lo - 1; r < hi; ++r)
            if (mjd[static_cast<size_t>(r)] == kSeparatorMjd)
                throw FormatError(phot_where(p, i) + ": a MJD = -777 separator row (PHOT row " + std::to_string(r + 1) +
                                  ") lies inside the object's pointers (" + ptr + ")");
        for (int64_t r = lo - 1; r < hi; ++r) {
            if (taken[static_cast<size_t>(r)])
                throw FormatError(phot_where(p, i) + ": pointers overlap another object's PHOT rows (" + ptr + ")");
            taken[static_cast<size_t>(r)] = true;
            p.rows.push_back(r);
        }
        p.offsets.push_back(static_cast<int64_t>(p.rows.size()));
    }
}

void pair_by_separators(SnanaPair& p, const std::vector<double>& mjd) {
    const FitsTable& h = p.head;
    int cnobs = h.find("NOBS");
    int64_t start = 0, obj = 0;
    auto close = [&](int64_t end) {  // rows [start, end) are one object
        if (obj >= h.n_rows)
            throw FormatError(p.phot.file + ": more objects (MJD = -777 separated blocks) than the " +
                              std::to_string(h.n_rows) + " rows of " + h.file);
        if (cnobs >= 0 && h.columns[static_cast<size_t>(cnobs)].code != 'A' && h.columns[static_cast<size_t>(cnobs)].code != 'L') {
            double nobs = value_as_double(h, static_cast<size_t>(cnobs), obj);
            if (nobs != static_cast<double>(end - start))
                throw FormatError(phot_where(p, obj) + ": block of " + std::to_string(end - start) +
                                  " PHOT rows between separators but NOBS = " + value_as_text(h, static_cast<size_t>(cnobs), obj));
        }
        for (int64_t r = start; r < end; ++r) p.rows.push_back(r);
        p.offsets.push_back(static_cast<int64_t>(p.rows.size()));
        ++obj;
    };
    const int64_t n = p.phot.n_rows;
    for (int64_t r = 0; r < n; ++r) {
        if (mjd[static_cast<size_t>(r)] == kSeparatorMjd) {
            close(r);
            start = r + 1;
        }
    }
    if (start < n) close(n);  // the last object may lack its separator
    if (obj != h.n_rows)
        throw FormatError(p.phot.file + ": " + std::to_string(obj) + " MJD = -777 separated blocks but " + h.file +
                          " has " + std::to_string(h.n_rows) + " objects");
}

// NaN sorts last, as numpy's stable argsort does.
bool mjd_less(double a, double b) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return a < b;
}

void sort_by_mjd(SnanaPair& p, const std::vector<double>& mjd) {
    for (size_t i = 0; i + 1 < p.offsets.size(); ++i) {
        auto first = p.rows.begin() + p.offsets[i], last = p.rows.begin() + p.offsets[i + 1];
        auto key = [&](int64_t r) { return mjd[static_cast<size_t>(r)]; };
        bool sorted = std::is_sorted(first, last, [&](int64_t a, int64_t b) { return mjd_less(key(a), key(b)); });
        if (!sorted) std::stable_sort(first, last, [&](int64_t a, int64_t b) { return mjd_less(key(a), key(b)); });
    }
}

}  // namespace

std::string describe_object(const FitsTable& head, int64_t row) {
    std::string s;
    int c = head.find("SNID");
    if (c >= 0 && row >= 0 && row < head.n_rows && !head.data.empty()) {
        try {
            s = "SNID " + value_as_text(head, static_cast<size_t>(c), row) + " ";
        } catch (const std::exception&) {
        }
    }
    return s + "(HEAD row " + std::to_string(row + 1) + ")";
}

void pair_objects(SnanaPair& p, PhotLayout layout) {
    p.rows.clear();
    p.offsets.assign(1, 0);
    if (p.head.find("SNID") < 0) throw FormatError(p.head.file + ": no SNID column (a SNANA HEAD table needs it)");
    std::vector<double> mjd = mjd_column(p.phot);
    p.rows.reserve(static_cast<size_t>(p.phot.n_rows));
    if (layout == PhotLayout::Pointers) pair_by_pointers(p, mjd);
    else pair_by_separators(p, mjd);
    sort_by_mjd(p, mjd);
}

}  // namespace ef
