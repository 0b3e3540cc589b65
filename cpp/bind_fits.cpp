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

std::vector<OutColumn> allocate(const ef::FitsTable& t, size_t n) {
    std::vector<OutColumn> out;
    out.reserve(t.columns.size());
    for (size_t c = 0; c < t.columns.size(); ++c) {
        const ef::FitsColumn& fc = t.columns[c];
        OutColumn o;
        o.col = c;
        if (fc.kind == ef::Kind::String) {
            o.offsets = py::array_t<int32_t>(static_cast<py::ssize_t>(n + 1));
            o.values = py::array_t<uint8_t>(static_cast<py::ssize_t>(n * static_cast<size_t>(fc.width)));
        } else {
            const char* dt = fc.kind == ef::Kind::Bool ? "int8" : ef::kind_name(fc.kind);
            o.values = py::array(py::dtype(dt), std::vector<py::ssize_t>{static_cast<py::ssize_t>(n)});
        }
        out.push_back(std::move(o));
    }
    return out;
}

// Runs without the GIL: only raw pointers captured before the release are touched.
void fill(const ef::FitsTable& t, std::vector<OutColumn>& out, const int64_t* rows, size_t n,
          const std::vector<void*>& vptr, const std::vector<int32_t*>& optr) {
    for (size_t k = 0; k < out.size(); ++k) {
        const ef::FitsColumn& fc = t.columns[out[k].col];
        if (fc.kind == ef::Kind::String)
            out[k].used = ef::gather_strings(t, out[k].col, rows, n, optr[k], static_cast<uint8_t*>(vptr[k]));
        else
            ef::gather_numeric(t, out[k].col, rows, n, vptr[k]);
    }
}

py::list to_python(const ef::FitsTable& t, std::vector<OutColumn>& out, const int64_t* rows, size_t n) {
    std::vector<void*> vptr;
    std::vector<int32_t*> optr;
    for (auto& o : out) {
        vptr.push_back(o.values.mutable_data());
        optr.push_back(o.offsets ? o.offsets.mutable_data() : nullptr);
    }
    {
        py::gil_scoped_release nogil;
        fill(t, out, rows, n, vptr, optr);
    }
    py::list cols;
    for (auto& o : out) {
        const ef::FitsColumn& fc = t.columns[o.col];
        py::object data;
        if (fc.kind == ef::Kind::String)
            data = py::make_tuple(o.offsets, o.values[py::slice(0, static_cast<py::ssize_t>(o.used), 1)]);
        else
            data = o.values;
        cols.append(py::make_tuple(fc.name, ef::kind_name(fc.kind), fc.tform, data));
    }
    return cols;
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
    size_t n = static_cast<size_t>(t->n_rows);
    auto out = allocate(*t, n);
    return py::make_tuple(t->n_rows, to_python(*t, out, nullptr, n));
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

py::tuple read_snana_pair(const py::object& head, const py::object& phot, const std::string& layout,
                          const py::object& head_name, const py::object& phot_name) {
    ef::PhotLayout lay;
    if (layout == "pointers") lay = ef::PhotLayout::Pointers;
    else if (layout == "separators") lay = ef::PhotLayout::Separators;
    else throw py::value_error("layout must be 'pointers' or 'separators', got '" + layout + "'");
    Source hs = make_source(head, head_name, "head");
    Source ps = make_source(phot, phot_name, "phot");
    auto p = std::make_unique<ef::SnanaPair>();
    {
        py::gil_scoped_release nogil;
        p->head = read_source(hs, true);
        p->phot = read_source(ps, true);
        ef::pair_objects(*p, lay);
    }
    size_t nh = static_cast<size_t>(p->head.n_rows), np_ = p->rows.size();
    auto hout = allocate(p->head, nh);
    auto pout = allocate(p->phot, np_);
    py::list hcols = to_python(p->head, hout, nullptr, nh);
    py::list pcols = to_python(p->phot, pout, p->rows.data(), np_);
    py::array_t<int64_t> offsets(static_cast<py::ssize_t>(p->offsets.size()));
    std::copy(p->offsets.begin(), p->offsets.end(), offsets.mutable_data());
    return py::make_tuple(p->head.n_rows, hcols, pcols, offsets);
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
}
