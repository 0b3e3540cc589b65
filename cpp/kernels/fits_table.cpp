#include "fits_table.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace ef {

namespace {

constexpr size_t kBlock = 2880;
constexpr size_t kCard = 80;
constexpr int64_t kMaxHeaderBlocks = 10000;  // 28.8 MB of cards: far beyond any real header
constexpr int kMaxHdus = 1000;
constexpr int64_t kMaxBytes = int64_t(1) << 46;  // 64 TiB: larger "sizes" are corrupt headers

struct Value {
    std::string text;  // strings unquoted, others trimmed
    bool is_string = false;
    bool present = false;
};

// The structural keywords of a header (a SNANA header has hundreds of cards we never look at).
// Per-column keywords are indexed by column number, without hashing or allocating per card.
struct Header {
    std::unordered_map<std::string, Value> general;  // SIMPLE XTENSION BITPIX NAXIS* PCOUNT GCOUNT ...
    std::vector<Value> column[6];                    // TTYPEn TFORMn TSCALn TZEROn TDIMn TNULLn, index n (1..999)

    const Value* find(const std::string& key) const;
};

constexpr int kColumnSlots = 6;
constexpr int kGeneral = kColumnSlots;
const char* const kColumnKeys[kColumnSlots] = {"TTYPE", "TFORM", "TSCAL", "TZERO", "TDIM", "TNULL"};

// n of "TTYPEn" (1..999, no leading zero) or 0.
int column_number(const char* digits, size_t len) {
    if (len == 0 || len > 3 || digits[0] == '0') return 0;
    int n = 0;
    for (size_t i = 0; i < len; ++i) {
        if (digits[i] < '0' || digits[i] > '9') return 0;
        n = n * 10 + (digits[i] - '0');
    }
    return n;
}

// Which slot a keyword goes to: 0..kColumnSlots-1 = column keyword (n set), kGeneral = general, -1 = ignored.
int slot_of(const char* key, size_t len, int& n) {
    for (int k = 0; k < kColumnSlots; ++k) {
        size_t klen = std::strlen(kColumnKeys[k]);
        if (len > klen && std::memcmp(key, kColumnKeys[k], klen) == 0) {
            n = column_number(key + klen, len - klen);
            return n ? k : -1;
        }
    }
    static const char* const exact[] = {"SIMPLE", "XTENSION", "BITPIX", "NAXIS", "PCOUNT", "GCOUNT", "GROUPS", "TFIELDS"};
    for (const char* e : exact)
        if (std::strlen(e) == len && std::memcmp(key, e, len) == 0) return kGeneral;
    if (len > 5 && std::memcmp(key, "NAXIS", 5) == 0) return kGeneral;
    return -1;
}

const Value* Header::find(const std::string& key) const {
    int n = 0;
    int slot = slot_of(key.data(), key.size(), n);
    if (slot >= 0 && slot < kColumnSlots) {
        const auto& v = column[slot];
        return (static_cast<size_t>(n) < v.size() && v[static_cast<size_t>(n)].present) ? &v[static_cast<size_t>(n)] : nullptr;
    }
    auto it = general.find(key);
    return it == general.end() ? nullptr : &it->second;
}

std::string rtrim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}
std::string trim(const std::string& s) {
    size_t a = s.find_first_not_of(' ');
    if (a == std::string::npos) return "";
    return rtrim(s.substr(a));
}

// Parses one 80-byte card into the header (first occurrence of a keyword wins).
void parse_card(const char* c, Header& h) {
    if (c[8] != '=' || c[9] != ' ') return;
    size_t len = 8;
    while (len > 0 && (c[len - 1] == ' ' || c[len - 1] == '\0')) --len;
    int n = 0;
    int slot = slot_of(c, len, n);
    if (slot < 0) return;
    Value* dst;
    if (slot < kColumnSlots) {
        auto& vec = h.column[slot];
        if (vec.size() <= static_cast<size_t>(n)) vec.resize(static_cast<size_t>(n) + 1);
        dst = &vec[static_cast<size_t>(n)];
    } else {
        dst = &h.general[std::string(c, len)];
    }
    if (dst->present) return;
    dst->present = true;
    const char* rest = c + 10;
    const size_t rlen = kCard - 10;
    size_t i = 0;
    while (i < rlen && rest[i] == ' ') ++i;
    if (i == rlen) return;
    if (rest[i] == '\'') {
        std::string v;
        size_t j = i + 1;
        while (j < rlen) {
            if (rest[j] == '\'') {
                if (j + 1 < rlen && rest[j + 1] == '\'') { v += '\''; j += 2; continue; }
                break;
            }
            v += rest[j++];
        }
        dst->text = rtrim(std::move(v));
        dst->is_string = true;
        return;
    }
    size_t e = i;
    while (e < rlen && rest[e] != '/') ++e;
    dst->text = trim(std::string(rest + i, e - i));
}

// Reads 2880-byte blocks up to the END card. Returns false if the input ended before any byte.
bool read_header(ByteStream& in, Header& h, int hdu) {
    std::vector<char> block(kBlock);
    for (int64_t b = 0; b < kMaxHeaderBlocks; ++b) {
        size_t got = in.read(reinterpret_cast<uint8_t*>(block.data()), kBlock);
        if (got == 0 && b == 0) return false;
        if (hdu == 0 && b == 0 && (got < 9 || std::memcmp(block.data(), "SIMPLE  =", 9) != 0))
            throw FormatError(in.name() + ": not a FITS file (it does not start with a SIMPLE card)");
        if (got < kBlock)
            throw FormatError(in.name() + ": truncated FITS file (header of HDU " + std::to_string(hdu) +
                              " ends inside a 2880-byte block)");
        for (size_t k = 0; k < kBlock; k += kCard) {
            const char* c = block.data() + k;
            if (std::memcmp(c, "END", 3) == 0 && std::all_of(c + 3, c + 8, [](char x) { return x == ' '; }))
                return true;
            parse_card(c, h);
        }
    }
    throw FormatError(in.name() + ": FITS header of HDU " + std::to_string(hdu) + " has no END card");
}

struct HeaderView {
    const Header& h;
    const std::string& file;
    int hdu;

    bool has(const std::string& k) const { return h.find(k) != nullptr; }
    std::string where(const std::string& k) const {
        return file + ": HDU " + std::to_string(hdu) + " keyword " + k;
    }
    int64_t integer(const std::string& k, int64_t lo, int64_t hi) const {
        const Value* val = h.find(k);
        if (!val) throw FormatError(where(k) + " is missing");
        const std::string& v = val->text;
        char* end = nullptr;
        errno = 0;
        long long x = std::strtoll(v.c_str(), &end, 10);
        // the whole text must be the number: c_str() stops at an embedded NUL, which the twin rejects
        if (v.empty() || errno != 0 || end != v.c_str() + v.size() || val->is_string)
            throw FormatError(where(k) + " = '" + v + "' is not an integer");
        if (x < lo || x > hi)
            throw FormatError(where(k) + " = " + v + " is outside [" + std::to_string(lo) + ", " +
                              std::to_string(hi) + "]");
        return x;
    }
    int64_t integer_or(const std::string& k, int64_t dflt, int64_t lo, int64_t hi) const {
        return has(k) ? integer(k, lo, hi) : dflt;
    }
    double real_or(const std::string& k, double dflt) const {
        const Value* val = h.find(k);
        if (!val) return dflt;
        std::string v = val->text;
        // digits, sign, point, exponent only (strtod alone would take "inf", "nan" and hex)
        if (v.find_first_not_of("0123456789+-.eEdD") != std::string::npos)
            throw FormatError(where(k) + " = '" + v + "' is not a finite number");
        std::replace(v.begin(), v.end(), 'D', 'E');  // FITS allows 1.0D0
        char* end = nullptr;
        double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || val->is_string || !std::isfinite(x))
            throw FormatError(where(k) + " = '" + val->text + "' is not a finite number");
        return x;
    }
    std::string text(const std::string& k) const {
        const Value* val = h.find(k);
        return val ? val->text : std::string();
    }
};

int64_t checked_mul(int64_t a, int64_t b, const std::string& what) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || r > kMaxBytes) throw FormatError(what + " overflows (corrupt header)");
    return r;
}

int64_t padded(int64_t n) { return (n + int64_t(kBlock) - 1) / int64_t(kBlock) * int64_t(kBlock); }

// Bytes of data (with padding) after a non-table HDU's header.
int64_t data_size(const HeaderView& v) {
    int64_t bitpix = v.integer("BITPIX", -64, 64);
    if (bitpix != 8 && bitpix != 16 && bitpix != 32 && bitpix != 64 && bitpix != -32 && bitpix != -64)
        throw FormatError(v.where("BITPIX") + " = " + std::to_string(bitpix) + " is not a FITS BITPIX");
    int64_t naxis = v.integer("NAXIS", 0, 999);
    if (naxis == 0) return 0;
    bool groups = v.text("GROUPS") == "T";
    int64_t n = 1;
    for (int64_t i = 1; i <= naxis; ++i) {
        int64_t len = v.integer("NAXIS" + std::to_string(i), 0, kMaxBytes);
        if (groups && i == 1) continue;
        n = checked_mul(n, len, v.file + ": HDU data size");
    }
    int64_t pcount = v.integer_or("PCOUNT", 0, 0, kMaxBytes);
    int64_t gcount = v.integer_or("GCOUNT", 1, 0, kMaxBytes);
    int64_t total = checked_mul(checked_mul(std::abs(bitpix) / 8, gcount, v.file + ": HDU data size"),
                                n + pcount, v.file + ": HDU data size");
    return padded(total);
}

// TFORM -> column; SNANA's types only, scalars only (strings excepted).
void parse_tform(const std::string& file, FitsColumn& c) {
    std::string f = trim(c.tform);
    size_t i = 0;
    while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) ++i;
    if (i > 9) throw FormatError(file + ": column '" + c.name + "' has an absurd repeat count in TFORM '" + f + "'");
    int64_t repeat = i ? std::stoll(f.substr(0, i)) : 1;
    if (i >= f.size() || i + 1 != f.size())
        throw FormatError(file + ": column '" + c.name + "' has an unknown TFORM '" + f +
                          "' (SNANA tables use L B I J K E D A)");
    char code = f[i];
    static const char* codes = "LBIJKEDA";
    if (!std::strchr(codes, code))
        throw FormatError(file + ": column '" + c.name + "' has an unknown TFORM '" + f +
                          "' (SNANA tables use L B I J K E D A)");
    if (repeat < 1 || (code != 'A' && repeat != 1))
        throw FormatError(file + ": column '" + c.name + "' has TFORM '" + f +
                          "': only scalar columns (repeat 1) and strings (rA) are supported");
    int64_t size = code == 'I' ? 2 : (code == 'J' || code == 'E') ? 4 : (code == 'K' || code == 'D') ? 8 : 1;
    c.code = code;
    c.repeat = repeat;
    c.width = size * repeat;
    bool scaled = !(c.scale == 1.0 && c.zero == 0.0);
    switch (code) {
        case 'L': c.kind = Kind::Bool; break;
        case 'A': c.kind = Kind::String; break;
        case 'B': c.kind = !scaled ? Kind::UInt8 : (c.scale == 1.0 && c.zero == -128.0) ? Kind::Int8 : Kind::Float64; break;
        case 'I': c.kind = !scaled ? Kind::Int16 : (c.scale == 1.0 && c.zero == 32768.0) ? Kind::UInt16 : Kind::Float64; break;
        case 'J': c.kind = !scaled ? Kind::Int32 : (c.scale == 1.0 && c.zero == 2147483648.0) ? Kind::UInt32 : Kind::Float64; break;
        case 'K': c.kind = !scaled ? Kind::Int64 : (c.scale == 1.0 && c.zero == 9223372036854775808.0) ? Kind::UInt64 : Kind::Float64; break;
        case 'E': c.kind = scaled ? Kind::Float64 : Kind::Float32; break;
        default: c.kind = Kind::Float64; break;  // D
    }
}

// "(d1,d2,...)" with 1..9 digits per dimension (spaces allowed around them) -> dims; false if malformed.
bool parse_tdim(const std::string& text, std::vector<int64_t>& dims) {
    std::string t = trim(text);
    if (t.size() < 3 || t.front() != '(' || t.back() != ')') return false;
    size_t i = 1;
    while (true) {
        while (i < t.size() - 1 && t[i] == ' ') ++i;
        size_t start = i;
        while (i < t.size() - 1 && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
        if (i == start || i - start > 9) return false;
        dims.push_back(std::stoll(t.substr(start, i - start)));
        while (i < t.size() - 1 && t[i] == ' ') ++i;
        if (i == t.size() - 1) return true;
        if (t[i] != ',') return false;
        ++i;
    }
}

// Column keywords whose meaning the reader does not implement, refused (naming the column) rather than
// read wrongly: TDIM giving several strings per row of an rA column, TNULL on an integer column (its
// sentinel would come back as a value).
void check_column_keywords(const HeaderView& v, const std::string& n, const FitsColumn& c) {
    if (c.kind == Kind::String && v.has("TDIM" + n)) {
        std::string t = v.text("TDIM" + n);
        std::vector<int64_t> dims;
        if (!parse_tdim(t, dims))
            throw FormatError(v.file + ": column '" + c.name + "' has TDIM" + n + " = '" + t +
                              "', not of the form (d1,d2,...)");
        for (size_t i = 1; i < dims.size(); ++i)
            if (dims[i] != 1)
                throw FormatError(v.file + ": column '" + c.name + "' has TDIM" + n + " = '" + t +
                                  "': several strings per row are not supported");
    }
    if (c.code != 0 && std::strchr("BIJK", c.code) && v.has("TNULL" + n))
        throw FormatError(v.file + ": column '" + c.name + "' has TNULL" + n + " = " + v.text("TNULL" + n) +
                          " (a null sentinel of an integer column): not supported");
}

void parse_bintable(const HeaderView& v, FitsTable& t) {
    if (v.integer("BITPIX", -64, 64) != 8) throw FormatError(v.where("BITPIX") + " must be 8 in a BINTABLE");
    if (v.integer("NAXIS", 0, 999) != 2) throw FormatError(v.where("NAXIS") + " must be 2 in a BINTABLE");
    t.row_bytes = v.integer("NAXIS1", 0, kMaxBytes);
    t.n_rows = v.integer("NAXIS2", 0, kMaxBytes);
    v.integer_or("PCOUNT", 0, 0, kMaxBytes);
    if (v.integer_or("GCOUNT", 1, 0, kMaxBytes) != 1) throw FormatError(v.where("GCOUNT") + " must be 1 in a BINTABLE");
    int64_t nf = v.integer("TFIELDS", 0, 999);
    int64_t offset = 0;
    std::unordered_set<std::string> names;
    for (int64_t i = 1; i <= nf; ++i) {
        std::string n = std::to_string(i);
        FitsColumn c;
        c.name = v.text("TTYPE" + n);
        if (c.name.empty()) throw FormatError(v.where("TTYPE" + n) + " is missing or empty");
        for (unsigned char ch : c.name)
            if (ch < 0x20 || ch > 0x7e) throw FormatError(v.where("TTYPE" + n) + " is not printable ASCII");
        if (!names.insert(c.name).second) throw FormatError(v.file + ": duplicate column name '" + c.name + "'");
        if (!v.has("TFORM" + n)) throw FormatError(v.where("TFORM" + n) + " is missing (column '" + c.name + "')");
        c.tform = v.text("TFORM" + n);
        c.scale = v.real_or("TSCAL" + n, 1.0);
        c.zero = v.real_or("TZERO" + n, 0.0);
        if (c.scale == 0.0) throw FormatError(v.where("TSCAL" + n) + " is 0 (column '" + c.name + "')");
        parse_tform(v.file, c);
        check_column_keywords(v, n, c);
        c.offset = offset;
        offset += c.width;
        if (offset > t.row_bytes)
            throw FormatError(v.file + ": NAXIS1 = " + std::to_string(t.row_bytes) +
                              " is smaller than the TFORM widths (exceeded at column '" + c.name + "')");
        t.columns.push_back(std::move(c));
    }
    if (offset != t.row_bytes)
        throw FormatError(v.file + ": NAXIS1 = " + std::to_string(t.row_bytes) + " but the TFORM widths add up to " +
                          std::to_string(offset) + " bytes");
}

// Reads the rows, growing the buffer only as bytes arrive (a header cannot make us allocate).
void read_rows(ByteStream& in, FitsTable& t) {
    int64_t need = checked_mul(t.row_bytes, t.n_rows, t.file + ": table size NAXIS1 * NAXIS2");
    if (in.plain_size() >= 0 && need > in.plain_size())
        throw FormatError(t.file + ": truncated FITS file (the table needs " + std::to_string(need) +
                          " bytes of rows, the whole file has " + std::to_string(in.plain_size()) + ")");
    size_t have = 0;
    size_t cap = static_cast<size_t>(std::min<int64_t>(need, int64_t(8) << 20));
    t.data.resize(cap);
    while (have < static_cast<size_t>(need)) {
        if (have == t.data.size())
            t.data.resize(std::min<size_t>(static_cast<size_t>(need), t.data.size() * 2));
        size_t got = in.read(t.data.data() + have, t.data.size() - have);
        have += got;
        if (got == 0)
            throw FormatError(t.file + ": truncated FITS file (the table needs " + std::to_string(need) +
                              " bytes of rows (NAXIS1 * NAXIS2), the data ends after " + std::to_string(have) + ")");
    }
}

template <typename T>
T load_be(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    if constexpr (sizeof(T) == 2) v = static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
    if constexpr (sizeof(T) == 4) v = static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
    if constexpr (sizeof(T) == 8) v = static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
    return v;
}
float load_f32(const uint8_t* p) {
    uint32_t u = load_be<uint32_t>(p);
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
double load_f64(const uint8_t* p) {
    uint64_t u = load_be<uint64_t>(p);
    double d;
    std::memcpy(&d, &u, 8);
    return d;
}

std::string row_text(const FitsTable& t, size_t col, int64_t row) {
    return t.file + ": column '" + t.columns[col].name + "' row " + std::to_string(row + 1);
}

// Applies f(out_index, pointer to the field) over the selected rows.
template <typename F>
void for_rows(const FitsTable& t, size_t col, const int64_t* rows, size_t n, F&& f) {
    if (n == 0) return;  // data may be empty: no pointer arithmetic on it
    const uint8_t* base = t.data.data() + t.columns[col].offset;
    const int64_t stride = t.row_bytes;
    if (rows) {
        for (size_t i = 0; i < n; ++i) f(i, base + rows[i] * stride);
    } else {
        for (size_t i = 0; i < n; ++i) f(i, base + static_cast<int64_t>(i) * stride);
    }
}

template <typename Raw, typename Out, typename Conv>
void gather_as(const FitsTable& t, size_t col, const int64_t* rows, size_t n, void* out, Conv conv) {
    Out* o = static_cast<Out*>(out);
    for_rows(t, col, rows, n, [&](size_t i, const uint8_t* p) {
        Out v = conv(load_be<Raw>(p));
        std::memcpy(o + i, &v, sizeof(Out));
    });
}

void check_rows(const FitsTable& t, const int64_t* rows, size_t n) {
    if (!rows) {
        if (static_cast<int64_t>(n) > t.n_rows) throw std::out_of_range("gather: more rows than the table has");
        return;
    }
    for (size_t i = 0; i < n; ++i)
        if (rows[i] < 0 || rows[i] >= t.n_rows) throw std::out_of_range("gather: row index outside the table");
}

}  // namespace

const char* kind_name(Kind k) {
    static const char* names[] = {"bool", "int8", "uint8", "int16", "uint16", "int32", "uint32",
                                  "int64", "uint64", "float32", "float64", "string"};
    return names[static_cast<int>(k)];
}

size_t kind_size(Kind k) {
    static const size_t sizes[] = {1, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 0};
    return sizes[static_cast<int>(k)];
}

int FitsTable::find(const std::string& name) const {
    for (size_t i = 0; i < columns.size(); ++i)
        if (columns[i].name == name) return static_cast<int>(i);
    return -1;
}

FitsTable read_bintable(ByteStream& in, bool with_data) {
    FitsTable t;
    t.file = in.name();
    for (int hdu = 0; hdu < kMaxHdus; ++hdu) {
        Header h;
        if (!read_header(in, h, hdu)) {
            if (hdu == 0) throw FormatError(t.file + ": file is empty");
            throw FormatError(t.file + ": no binary table (BINTABLE extension) in the file");
        }
        HeaderView v{h, t.file, hdu};
        if (hdu == 0) {
            if (!h.find("SIMPLE")) throw FormatError(t.file + ": not a FITS file (no SIMPLE card first)");
        } else if (!h.find("XTENSION")) {
            throw FormatError(t.file + ": HDU " + std::to_string(hdu) + " has no XTENSION card");
        }
        if (hdu > 0 && v.text("XTENSION") == "BINTABLE") {
            parse_bintable(v, t);
            if (with_data) {
                read_rows(in, t);
                in.drain();
            }
            return t;
        }
        int64_t skip = data_size(v);
        if (in.skip(static_cast<uint64_t>(skip)) < static_cast<uint64_t>(skip))
            throw FormatError(t.file + ": truncated FITS file (data of HDU " + std::to_string(hdu) + " is cut short)");
    }
    throw FormatError(t.file + ": no binary table in the first " + std::to_string(kMaxHdus) + " HDUs");
}

FitsTable read_bintable_file(const std::string& path, bool with_data) {
    auto in = ByteStream::open_file(path);
    return read_bintable(*in, with_data);
}

void gather_numeric(const FitsTable& t, size_t col, const int64_t* rows, size_t n, void* out) {
    check_rows(t, rows, n);
    const FitsColumn& c = t.columns.at(col);
    const double s = c.scale, z = c.zero;
    switch (c.code) {
        case 'L': {
            int8_t* o = static_cast<int8_t*>(out);
            for_rows(t, col, rows, n, [&](size_t i, const uint8_t* p) {
                if (*p == 'T') o[i] = 1;
                else if (*p == 'F') o[i] = 0;
                else if (*p == 0) o[i] = -1;
                else throw FormatError(row_text(t, col, rows ? rows[i] : int64_t(i)) + ": logical byte " +
                                       std::to_string(*p) + " is not 'T', 'F' or 0");
            });
            return;
        }
        case 'B':
            if (c.kind == Kind::UInt8) return gather_as<uint8_t, uint8_t>(t, col, rows, n, out, [](uint8_t v) { return v; });
            if (c.kind == Kind::Int8) return gather_as<uint8_t, int8_t>(t, col, rows, n, out, [](uint8_t v) { return static_cast<int8_t>(v ^ 0x80u); });
            return gather_as<uint8_t, double>(t, col, rows, n, out, [&](uint8_t v) { return v * s + z; });
        case 'I':
            if (c.kind == Kind::Int16) return gather_as<int16_t, int16_t>(t, col, rows, n, out, [](int16_t v) { return v; });
            if (c.kind == Kind::UInt16) return gather_as<uint16_t, uint16_t>(t, col, rows, n, out, [](uint16_t v) { return static_cast<uint16_t>(v ^ 0x8000u); });
            return gather_as<int16_t, double>(t, col, rows, n, out, [&](int16_t v) { return v * s + z; });
        case 'J':
            if (c.kind == Kind::Int32) return gather_as<int32_t, int32_t>(t, col, rows, n, out, [](int32_t v) { return v; });
            if (c.kind == Kind::UInt32) return gather_as<uint32_t, uint32_t>(t, col, rows, n, out, [](uint32_t v) { return v ^ 0x80000000u; });
            return gather_as<int32_t, double>(t, col, rows, n, out, [&](int32_t v) { return v * s + z; });
        case 'K':
            if (c.kind == Kind::Int64) return gather_as<int64_t, int64_t>(t, col, rows, n, out, [](int64_t v) { return v; });
            if (c.kind == Kind::UInt64) return gather_as<uint64_t, uint64_t>(t, col, rows, n, out, [](uint64_t v) { return v ^ 0x8000000000000000ull; });
            return gather_as<int64_t, double>(t, col, rows, n, out, [&](int64_t v) { return static_cast<double>(v) * s + z; });
        case 'E':
            if (c.kind == Kind::Float32) return gather_as<uint32_t, float>(t, col, rows, n, out, [](uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; });
            return gather_as<uint32_t, double>(t, col, rows, n, out, [&](uint32_t u) { float f; std::memcpy(&f, &u, 4); return f * s + z; });
        case 'D': {
            bool scaled = !(s == 1.0 && z == 0.0);
            return gather_as<uint64_t, double>(t, col, rows, n, out, [&](uint64_t u) {
                double d; std::memcpy(&d, &u, 8); return scaled ? d * s + z : d; });
        }
        default:
            throw std::invalid_argument("gather_numeric: column '" + c.name + "' is not numeric");
    }
}

size_t gather_strings(const FitsTable& t, size_t col, const int64_t* rows, size_t n, int32_t* offsets,
                      uint8_t* data) {
    check_rows(t, rows, n);
    const FitsColumn& c = t.columns.at(col);
    if (c.code != 'A') throw std::invalid_argument("gather_strings: column '" + c.name + "' is not a string");
    size_t used = 0;
    offsets[0] = 0;
    for_rows(t, col, rows, n, [&](size_t i, const uint8_t* p) {
        size_t len = static_cast<size_t>(c.width);
        const void* nul = std::memchr(p, 0, len);
        if (nul) len = static_cast<size_t>(static_cast<const uint8_t*>(nul) - p);
        while (len > 0 && p[len - 1] == ' ') --len;
        for (size_t k = 0; k < len; ++k)
            if (p[k] >= 0x80)
                throw FormatError(row_text(t, col, rows ? rows[i] : int64_t(i)) +
                                  ": string holds a non-ASCII byte (FITS strings are ASCII)");
        std::memcpy(data + used, p, len);
        used += len;
        if (used > static_cast<size_t>(INT32_MAX)) throw FormatError(t.file + ": string column '" + c.name + "' exceeds 2 GiB");
        offsets[i + 1] = static_cast<int32_t>(used);
    });
    return used;
}

double value_as_double(const FitsTable& t, size_t col, int64_t row) {
    const FitsColumn& c = t.columns.at(col);
    if (c.code == 'A' || c.code == 'L')
        throw FormatError(t.file + ": column '" + c.name + "' must be numeric, has TFORM '" + c.tform + "'");
    if (row < 0 || row >= t.n_rows) throw std::out_of_range("value_as_double: row outside the table");
    union { double d; float f; int8_t i8; uint8_t u8; int16_t i16; uint16_t u16; int32_t i32; uint32_t u32; int64_t i64; uint64_t u64; } v;
    gather_numeric(t, col, &row, 1, &v);
    switch (c.kind) {
        case Kind::Int8: return v.i8;
        case Kind::UInt8: return v.u8;
        case Kind::Int16: return v.i16;
        case Kind::UInt16: return v.u16;
        case Kind::Int32: return v.i32;
        case Kind::UInt32: return v.u32;
        case Kind::Int64: return static_cast<double>(v.i64);
        case Kind::UInt64: return static_cast<double>(v.u64);
        case Kind::Float32: return v.f;
        default: return v.d;
    }
}

int64_t value_as_int64(const FitsTable& t, size_t col, int64_t row) {
    const FitsColumn& c = t.columns.at(col);
    if (row < 0 || row >= t.n_rows) throw std::out_of_range("value_as_int64: row outside the table");
    union { int8_t i8; uint8_t u8; int16_t i16; uint16_t u16; int32_t i32; uint32_t u32; int64_t i64; uint64_t u64; } v;
    switch (c.kind) {
        case Kind::Int8: gather_numeric(t, col, &row, 1, &v); return v.i8;
        case Kind::UInt8: gather_numeric(t, col, &row, 1, &v); return v.u8;
        case Kind::Int16: gather_numeric(t, col, &row, 1, &v); return v.i16;
        case Kind::UInt16: gather_numeric(t, col, &row, 1, &v); return v.u16;
        case Kind::Int32: gather_numeric(t, col, &row, 1, &v); return v.i32;
        case Kind::UInt32: gather_numeric(t, col, &row, 1, &v); return v.u32;
        case Kind::Int64: gather_numeric(t, col, &row, 1, &v); return v.i64;
        case Kind::UInt64:
            gather_numeric(t, col, &row, 1, &v);
            if (v.u64 > static_cast<uint64_t>(INT64_MAX)) throw FormatError(row_text(t, col, row) + ": value exceeds int64");
            return static_cast<int64_t>(v.u64);
        default:
            throw FormatError(t.file + ": column '" + c.name + "' must be an integer column, has TFORM '" + c.tform +
                              "'" + ((c.scale != 1.0 || c.zero != 0.0) ? " with scaling" : ""));
    }
}

std::string value_as_text(const FitsTable& t, size_t col, int64_t row) {
    const FitsColumn& c = t.columns.at(col);
    if (c.code == 'A') {
        std::vector<uint8_t> buf(static_cast<size_t>(c.width));
        int32_t off[2];
        // messages must not fail: fall back to a placeholder on odd bytes
        try {
            size_t used = gather_strings(t, col, &row, 1, off, buf.data());
            return std::string(buf.begin(), buf.begin() + static_cast<long>(used));
        } catch (const FormatError&) {
            return "<non-ASCII>";
        }
    }
    if (c.kind == Kind::Float32 || c.kind == Kind::Float64) {
        char s[64];
        std::snprintf(s, sizeof s, "%.17g", value_as_double(t, col, row));
        return s;
    }
    if (c.kind == Kind::Bool) return "<bool>";
    return std::to_string(value_as_int64(t, col, row));
}

}  // namespace ef
