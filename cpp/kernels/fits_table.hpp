// FITS binary tables (the first BINTABLE extension of a file) read into memory, and columns
// copied out of the packed big-endian rows into native columnar buffers.
// Types: the ones SNANA writes, L B I J K E D A (scalars; A is a fixed-width string).
// TSCALn/TZEROn: the unsigned conventions give unsigned integers (and TZERO=-128 on B gives int8);
// any other scaling gives float64 = stored * TSCAL + TZERO.
// Every size from a header is checked before use: NAXIS1 against the TFORM widths, the table size
// against what the file holds; buffers grow only with bytes actually read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fits_error.hpp"
#include "gzip_stream.hpp"

namespace ef {

enum class Kind : uint8_t { Bool, Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float32, Float64, String };

const char* kind_name(Kind k);
// Bytes per element of the output buffer (Bool: int8 1/0/-1 for null; String: 0, see gather_strings).
size_t kind_size(Kind k);

struct FitsColumn {
    std::string name;
    std::string tform;   // as written in the header
    char code = 0;       // L B I J K E D A
    int64_t repeat = 1;  // elements (A: characters)
    int64_t offset = 0;  // byte offset in a row
    int64_t width = 0;   // bytes in a row
    double scale = 1.0, zero = 0.0;
    Kind kind = Kind::Float64;
};

struct FitsTable {
    std::string file;
    int64_t row_bytes = 0, n_rows = 0;
    std::vector<FitsColumn> columns;
    std::vector<uint8_t> data;  // n_rows * row_bytes raw rows (empty when only the header was read)
    int find(const std::string& name) const;  // column index, -1 when absent
};

// Reads the first BINTABLE extension's header and, if with_data, its rows; with data the rest of a
// gzip stream is inflated too so its CRC is checked.
FitsTable read_bintable(ByteStream& in, bool with_data);
FitsTable read_bintable_file(const std::string& path, bool with_data);

// Copies column `col` for `rows` (0-based; nullptr = all rows in order) into `out`, which holds
// n * kind_size(kind) bytes: native byte order, scaling applied.
void gather_numeric(const FitsTable& t, size_t col, const int64_t* rows, size_t n, void* out);
// String column as Arrow's layout: `offsets` (n + 1) and `data` (n * width bytes at most); a value
// ends at its first NUL and loses trailing spaces. Returns the bytes of `data` used.
size_t gather_strings(const FitsTable& t, size_t col, const int64_t* rows, size_t n, int32_t* offsets,
                      uint8_t* data);

// Single values, for the pairing logic and for messages.
double value_as_double(const FitsTable& t, size_t col, int64_t row);
int64_t value_as_int64(const FitsTable& t, size_t col, int64_t row);
std::string value_as_text(const FitsTable& t, size_t col, int64_t row);

}  // namespace ef
