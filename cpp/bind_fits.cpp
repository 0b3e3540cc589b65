// Bindings for the FITS / SNANA reader: parse with the GIL released, allocate NumPy outputs, fill
// them with the GIL released again. Format errors become elasticc_fast.io.snana_errors.SnanaFormatError
// (a ValueError); OS errors become OSError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fits_table.hpp"
#include "gzip_stream.hpp"
#include "snana.hpp"

namespace py = pybind11;

namespace {

// A path (str / os.PathLike) or the file's bytes; bytes stay referenced while we read them.
struct Source {
    std::string path, name;
    py::bytes held;
    const uint8_t* mem = nullptr;
    size_t size = 0;
};

Source make_source(const py::object& obj, const py::object& name, const char* arg) {
    Source s;
    if (py::isinstance<py::bytes>(obj)) {
        s.held = py::reinterpret_borrow<py::bytes>(obj);
        char* buf = nullptr;
        Py_ssize_t len = 0;
        if (PyBytes_AsStringAndSize(s.held.ptr(), &buf, &len) != 0) throw py::error_already_set();
        s.mem = reinterpret_cast<const uint8_t*>(buf);
        s.size = static_cast<size_t>(len);
        s.name = name.is_none() ? std::string("<bytes>") : py::str(name).cast<std::string>();
        return s;
    }
    py::object fspath = py::module_::import("os").attr("fspath");
    py::object p;
    try {
        p = fspath(obj);
    } catch (py::error_already_set&) {
        throw py::type_error(std::string(arg) + " must be a path (str or os.PathLike) or bytes");
    }
    if (!py::isinstance<py::str>(p)) throw py::type_error(std::string(arg) + " must be a str path or bytes");
    s.path = p.cast<std::string>();  // messages name the path itself
    s.name = s.path;
    return s;
}

ef::FitsTable read_source(const Source& s, bool with_data) {
    auto in = s.path.empty() ? ef::ByteStream::from_memory(s.mem, s.size, s.name) : ef::ByteStream::open_file(s.path);
    return ef::read_bintable(*in, with_data);
}

// One output column: a NumPy array (numbers) or Arrow-style offsets + bytes (strings).
struct OutColumn {
    size_t col;
    py::array values;
    py::array_t<int32_t> offsets;
    size_t used = 0;
};

// Rows of one table that go into the output, back to back with the other parts' rows.
struct Part {
    const ef::FitsTable* table;
    const int64_t* rows;  // nullptr: all rows in order
    size_t n;
};

// Outputs sized for all parts; the parts share the first part's column names and kinds.
std::vector<OutColumn> allocate(const std::vector<Part>& parts) {
    const ef::FitsTable& t0 = *parts.at(0).table;
    size_t n = 0;
    for (const Part& p : parts) n += p.n;
    std::vector<OutColumn> out;
    out.reserve(t0.columns.size());
    for (size_t c = 0; c < t0.columns.size(); ++c) {
        const ef::FitsColumn& fc = t0.columns[c];
        OutColumn o;
        o.col = c;
        if (fc.kind == ef::Kind::String) {
            size_t chars = 0;
            for (const Part& p : parts) chars += p.n * static_cast<size_t>(p.table->columns[c].width);
            o.offsets = py::array_t<int32_t>(static_cast<py::ssize_t>(n + 1));
            o.values = py::array_t<uint8_t>(static_cast<py::ssize_t>(chars));
        } else {
            const char* dt = fc.kind == ef::Kind::Bool ? "int8" : ef::kind_name(fc.kind);
            o.values = py::array(py::dtype(dt), std::vector<py::ssize_t>{static_cast<py::ssize_t>(n)});
        }
        out.push_back(std::move(o));
    }
    return out;
}

// Runs without the GIL: only raw pointers captured before the release are touched.
void fill(const std::vector<Part>& parts, std::vector<OutColumn>& out, const std::vector<void*>& vptr,
          const std::vector<int32_t*>& optr) {
    for (size_t k = 0; k < out.size(); ++k) {
        const size_t col = out[k].col;
        const ef::Kind kind = parts[0].table->columns[col].kind;
        size_t row0 = 0, used = 0;
        for (const Part& p : parts) {
            if (kind == ef::Kind::String) {
                if (used > static_cast<size_t>(INT32_MAX)) throw ef::FormatError("string column exceeds 2 GiB");
                int32_t* off = optr[k] + row0;
                const int32_t base = static_cast<int32_t>(used);
                size_t u = ef::gather_strings(*p.table, col, p.rows, p.n, off, static_cast<uint8_t*>(vptr[k]) + used);
                if (used + u > static_cast<size_t>(INT32_MAX)) throw ef::FormatError("string column exceeds 2 GiB");
                for (size_t i = 0; i <= p.n; ++i) off[i] += base;
                used += u;
            } else {
                const size_t size = ef::kind_size(kind);
                ef::gather_numeric(*p.table, col, p.rows, p.n, static_cast<uint8_t*>(vptr[k]) + row0 * size);
            }
            row0 += p.n;
        }
        out[k].used = used;
    }
}

py::list to_python(const std::vector<Part>& parts, std::vector<OutColumn>& out) {
    std::vector<void*> vptr;
    std::vector<int32_t*> optr;
    for (auto& o : out) {
        vptr.push_back(o.values.mutable_data());
        optr.push_back(o.offsets ? o.offsets.mutable_data() : nullptr);
    }
    {
        py::gil_scoped_release nogil;
        fill(parts, out, vptr, optr);
    }
    const ef::FitsTable& t0 = *parts[0].table;
    py::list cols;
    for (auto& o : out) {
        const ef::FitsColumn& fc = t0.columns[o.col];
        py::object data;
        if (fc.kind == ef::Kind::String)
            data = py::make_tuple(o.offsets, o.values[py::slice(0, static_cast<py::ssize_t>(o.used), 1)]);
        else
            data = o.values;
        cols.append(py::make_tuple(fc.name, ef::kind_name(fc.kind), fc.tform, data));
    }
    return cols;
}

py::list columns_of(const std::vector<Part>& parts) {
    auto out = allocate(parts);
    return to_python(parts, out);
}

// Same column names and kinds (string widths may differ): the condition to concatenate tables.
bool same_columns(const ef::FitsTable& a, const ef::FitsTable& b) {
    if (a.columns.size() != b.columns.size()) return false;
    for (size_t i = 0; i < a.columns.size(); ++i)
        if (a.columns[i].name != b.columns[i].name || a.columns[i].kind != b.columns[i].kind) return false;
    return true;
}

py::list describe_columns(const ef::FitsTable& t) {
    py::list cols;
    for (const auto& c : t.columns) cols.append(py::make_tuple(c.name, ef::kind_name(c.kind), c.tform));
    return cols;
}

py::tuple read_fits_table(const py::object& source, const py::object& name) {
    Source s = make_source(source, name, "source");
    std::unique_ptr<ef::FitsTable> t;
    {
        py::gil_scoped_release nogil;
        t = std::make_unique<ef::FitsTable>(read_source(s, true));
    }
    return py::make_tuple(t->n_rows, columns_of({Part{t.get(), nullptr, static_cast<size_t>(t->n_rows)}}));
}

py::tuple read_fits_header(const py::object& source, const py::object& name) {
    Source s = make_source(source, name, "source");
    std::unique_ptr<ef::FitsTable> t;
    {
        py::gil_scoped_release nogil;
        t = std::make_unique<ef::FitsTable>(read_source(s, false));
    }
    return py::make_tuple(t->n_rows, describe_columns(*t));
}

ef::PhotLayout parse_layout(const std::string& layout) {
    if (layout == "pointers") return ef::PhotLayout::Pointers;
    if (layout == "separators") return ef::PhotLayout::Separators;
    throw py::value_error("layout must be 'pointers' or 'separators', got '" + layout + "'");
}

// Reads pairs (GIL released) and returns their objects back to back.
py::tuple snana_output(const std::vector<std::unique_ptr<ef::SnanaPair>>& pairs) {
    std::vector<Part> hparts, pparts;
    std::vector<int64_t> offsets{0};
    int64_t n_objects = 0;
    for (const auto& p : pairs) {
        hparts.push_back(Part{&p->head, nullptr, static_cast<size_t>(p->head.n_rows)});
        pparts.push_back(Part{&p->phot, p->rows.data(), p->rows.size()});
        const int64_t base = offsets.back();
        for (size_t i = 1; i < p->offsets.size(); ++i) offsets.push_back(base + p->offsets[i]);
        n_objects += p->head.n_rows;
    }
    py::list hcols = columns_of(hparts);
    py::list pcols = columns_of(pparts);
    py::array_t<int64_t> off(static_cast<py::ssize_t>(offsets.size()));
    std::copy(offsets.begin(), offsets.end(), off.mutable_data());
    return py::make_tuple(n_objects, hcols, pcols, off);
}

py::tuple read_snana_pair(const py::object& head, const py::object& phot, const std::string& layout,
                          const py::object& head_name, const py::object& phot_name) {
    ef::PhotLayout lay = parse_layout(layout);
    Source hs = make_source(head, head_name, "head");
    Source ps = make_source(phot, phot_name, "phot");
    std::vector<std::unique_ptr<ef::SnanaPair>> pairs;
    pairs.push_back(std::make_unique<ef::SnanaPair>());
    {
        py::gil_scoped_release nogil;
        ef::SnanaPair& p = *pairs[0];
        p.head = read_source(hs, true);
        p.phot = read_source(ps, true);
        ef::pair_objects(p, lay);
    }
    return snana_output(pairs);
}

py::tuple read_snana_pairs(const std::vector<py::object>& heads, const std::vector<py::object>& phots,
                           const std::string& layout) {
    ef::PhotLayout lay = parse_layout(layout);
    if (heads.empty() || heads.size() != phots.size())
        throw py::value_error("heads and phots must be non-empty lists of the same length");
    std::vector<Source> hs, ps;
    for (size_t i = 0; i < heads.size(); ++i) {
        hs.push_back(make_source(heads[i], py::none(), "heads"));
        ps.push_back(make_source(phots[i], py::none(), "phots"));
    }
    std::vector<std::unique_ptr<ef::SnanaPair>> pairs;
    {
        py::gil_scoped_release nogil;
        for (size_t i = 0; i < hs.size(); ++i) {
            auto p = std::make_unique<ef::SnanaPair>();
            p->head = read_source(hs[i], true);
            p->phot = read_source(ps[i], true);
            ef::pair_objects(*p, lay);
            if (i > 0 && (!same_columns(p->head, pairs[0]->head) || !same_columns(p->phot, pairs[0]->phot)))
                throw ef::FormatError(p->head.file + ": its columns differ from those of " + pairs[0]->head.file +
                                      " (read such pairs separately)");
            pairs.push_back(std::move(p));
        }
    }
    return snana_output(pairs);
}

// "name\tkind\ttform" lines: one cheap string per file (names and TFORMs are printable ASCII).
std::string signature(const ef::FitsTable& t) {
    std::string s;
    for (const auto& c : t.columns) {
        s += c.name;
        s += '\t';
        s += ef::kind_name(c.kind);
        s += '\t';
        s += c.tform;
        s += '\n';
    }
    return s;
}

// Headers of many files in one call: per file ("ok", n_rows, signature) or ("error", message).
py::list read_fits_headers(const std::vector<py::object>& sources) {
    std::vector<Source> ss;
    for (const auto& s : sources) ss.push_back(make_source(s, py::none(), "sources"));
    std::vector<std::unique_ptr<ef::FitsTable>> tables(ss.size());
    std::vector<std::string> errors(ss.size());
    {
        py::gil_scoped_release nogil;
        for (size_t i = 0; i < ss.size(); ++i) {
            try {
                tables[i] = std::make_unique<ef::FitsTable>(read_source(ss[i], false));
            } catch (const ef::FormatError& e) {
                errors[i] = e.what();
            } catch (const ef::IoError& e) {
                errors[i] = e.what();
            }
        }
    }
    py::list out;
    for (size_t i = 0; i < ss.size(); ++i) {
        if (tables[i]) {
            out.append(py::make_tuple("ok", tables[i]->n_rows, signature(*tables[i])));
        } else {
            const std::string& m = errors[i];
            PyObject* msg = PyUnicode_DecodeUTF8(m.data(), static_cast<Py_ssize_t>(m.size()), "replace");
            if (!msg) throw py::error_already_set();
            out.append(py::make_tuple("error", py::reinterpret_steal<py::str>(msg)));
        }
    }
    return out;
}

// Messages may quote header bytes that are not UTF-8: decode with replacement, never fail.
void set_error(PyObject* cls, const char* what) {
    PyObject* msg = PyUnicode_DecodeUTF8(what, static_cast<Py_ssize_t>(std::strlen(what)), "replace");
    if (!msg) {
        PyErr_Clear();
        msg = PyUnicode_FromString("(undecodable error message)");
    }
    PyErr_SetObject(cls, msg);
    Py_XDECREF(msg);
}

void translate(std::exception_ptr e) {
    try {
        if (e) std::rethrow_exception(e);
    } catch (const ef::FormatError& err) {
        py::object cls;
        try {
            cls = py::module_::import("elasticc_fast.io.snana_errors").attr("SnanaFormatError");
        } catch (py::error_already_set&) {
            cls = py::reinterpret_borrow<py::object>(PyExc_ValueError);
        }
        set_error(cls.ptr(), err.what());
    } catch (const ef::IoError& err) {
        set_error(PyExc_OSError, err.what());
    }
}

}  // namespace

void register_fits(py::module_& m) {
    py::register_exception_translator(&translate);
    m.def("read_fits_table", &read_fits_table, py::arg("source"), py::arg("name") = py::none(),
          R"doc(Read the first BINTABLE of a FITS file (plain or gzip), as columns.

source: a path or the file's bytes; name: the name used in error messages for bytes.
Returns (n_rows, [(name, kind, tform, data), ...]); data is a NumPy array for numbers (kind 'bool':
int8 1/0/-1 for null), or (offsets int32 (n+1), bytes uint8) for kind 'string'.)doc");
    m.def("read_fits_header", &read_fits_header, py::arg("source"), py::arg("name") = py::none(),
          "Header of the first BINTABLE only: (n_rows, [(name, kind, tform), ...]).");
    m.def("read_snana_pair", &read_snana_pair, py::arg("head"), py::arg("phot"), py::arg("layout") = "pointers",
          py::arg("head_name") = py::none(), py::arg("phot_name") = py::none(),
          R"doc(Read a SNANA HEAD/PHOT pair: (n_objects, head_columns, phot_columns, offsets int64 (n+1)).

PHOT columns hold the objects' rows back to back, each object's rows stably sorted by MJD, the MJD=-777
separator rows left out; object i owns rows offsets[i]:offsets[i+1]. layout: 'pointers' (PTROBS_MIN/MAX,
1-based inclusive, each followed by a separator row) or 'separators' (split at the -777 rows).)doc");
    m.def("read_snana_pairs", &read_snana_pairs, py::arg("heads"), py::arg("phots"), py::arg("layout") = "pointers",
          "Several pairs with the same columns in one call (fewer per-file costs): like read_snana_pair, "
          "the pairs' objects back to back.");
    m.def("read_fits_headers", &read_fits_headers, py::arg("sources"),
          "Headers of many files: per file ('ok', n_rows, signature) or ('error', message); the signature "
          "holds one 'name\\tkind\\ttform\\n' line per column.");
}
