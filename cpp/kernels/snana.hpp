// SNANA HEAD/PHOT pairing: which PHOT rows belong to which HEAD object, in MJD order.
// PTROBS_MIN/PTROBS_MAX are 1-based and inclusive; SNANA writes one MJD = -777 separator row after
// each object's rows. Both are checked; the separator rows never reach the output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fits_table.hpp"

namespace ef {

enum class PhotLayout {
    Pointers,    // trust PTROBS_MIN/MAX (SNANA's contract), check each against the separators
    Separators,  // split PHOT at the -777 rows (for files subset without rewriting the pointers)
};

struct SnanaPair {
    FitsTable head, phot;
    std::vector<int64_t> rows;     // 0-based PHOT rows in output order: per object, stably MJD-sorted
    std::vector<int64_t> offsets;  // head.n_rows + 1; object i owns rows[offsets[i] : offsets[i+1]]
};

constexpr double kSeparatorMjd = -777.0;

// Computes rows/offsets for already read tables (throws FormatError naming file, SNID and reason).
void pair_objects(SnanaPair& p, PhotLayout layout);
// "SNID 1234 (HEAD row 5)" for messages.
std::string describe_object(const FitsTable& head, int64_t row);

}  // namespace ef
