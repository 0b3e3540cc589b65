// Bindings for preprocessing, windowing and static features (kernels in cpp/kernels/).
// Every array argument is checked (dtype, C-contiguity, shape) and errors name the argument;
// outputs are allocated here as NumPy arrays, then filled with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <string>

#include "augment.hpp"
#include "preprocess.hpp"
#include "static_features.hpp"

namespace py = pybind11;

namespace {

template <class T>
const char* dtype_name() {
    if (std::is_same<T, double>::value) return "float64";
    if (std::is_same<T, float>::value) return "float32";
    if (std::is_same<T, int32_t>::value) return "int32";
    if (std::is_same<T, int64_t>::value) return "int64";
    if (std::is_same<T, uint8_t>::value) return "uint8";
    return "?";
}

// A C-contiguous array of dtype T with the given ndim (and length when >= 0), or ValueError.
template <class T>
py::array_t<T> checked(const py::handle& obj, const char* name, int ndim = 1, py::ssize_t len = -1) {
    if (!py::isinstance<py::array>(obj))
        throw py::type_error(std::string(name) + ": expected a numpy array");
    auto a = py::reinterpret_borrow<py::array>(obj);
    if (!a.dtype().is(py::dtype::of<T>()))
        throw py::value_error(std::string(name) + ": expected dtype " + dtype_name<T>() + ", got " +
                              std::string(py::str(a.dtype())));
    if (a.ndim() != ndim)
        throw py::value_error(std::string(name) + ": expected " + std::to_string(ndim) + " dimension(s), got " +
                              std::to_string(a.ndim()));
    if (!(a.flags() & py::array::c_style))
        throw py::value_error(std::string(name) + ": array must be C-contiguous");
    if (len >= 0 && a.shape(0) != len)
        throw py::value_error(std::string(name) + ": expected length " + std::to_string(len) + ", got " +
                              std::to_string(a.shape(0)));
    return py::reinterpret_borrow<py::array_t<T>>(a);
}

struct Columns {
    py::array_t<double> mjd;
    py::array_t<uint8_t> band;
    py::array_t<float> flux, flux_err;
    py::array_t<int32_t> flag;
    py::array_t<int64_t> offsets;
    ef::LightCurves lc;
};

Columns check_columns(const py::handle& mjd, const py::handle& band, const py::handle& flux,
                      const py::handle& flux_err, const py::handle& flag, const py::handle& offsets) {
    Columns c;
    c.offsets = checked<int64_t>(offsets, "offsets");
    if (c.offsets.shape(0) < 1) throw py::value_error("offsets: needs n + 1 >= 1 entries");
    const int64_t n = c.offsets.shape(0) - 1;
    const int64_t* o = c.offsets.data();
    if (o[0] != 0) throw py::value_error("offsets: must start at 0");
    for (int64_t i = 0; i < n; ++i)
        if (o[i + 1] < o[i]) throw py::value_error("offsets: must be non-decreasing (object " + std::to_string(i) + ")");
    const py::ssize_t m = o[n];
    c.mjd = checked<double>(mjd, "mjd", 1, m);
    c.band = checked<uint8_t>(band, "band", 1, m);
    c.flux = checked<float>(flux, "flux", 1, m);
    c.flux_err = checked<float>(flux_err, "flux_err", 1, m);
    c.flag = checked<int32_t>(flag, "flag", 1, m);
    c.lc = ef::LightCurves{c.mjd.data(), c.band.data(), c.flux.data(), c.flux_err.data(), c.flag.data(), o, n};
    return c;
}

ef::Trigger parse_trigger(const std::string& s) {
    if (s == "first_detection") return ef::Trigger::FirstDetection;
    if (s == "photflag") return ef::Trigger::Photflag;
    throw py::value_error("trigger: expected 'first_detection' or 'photflag', got '" + s + "'");
}

ef::History parse_history(const std::string& s) {
    if (s == "window") return ef::History::Window;
    if (s == "all") return ef::History::All;
    throw py::value_error("history: expected 'window' or 'all', got '" + s + "'");
}

ef::WindowMode parse_windows(const std::string& s) {
    if (s == "prefix") return ef::WindowMode::Prefix;
    if (s == "fraction") return ef::WindowMode::Fraction;
    if (s == "days") return ef::WindowMode::Days;
    if (s == "full") return ef::WindowMode::Full;
    throw py::value_error("windows: expected 'prefix', 'fraction', 'days' or 'full', got '" + s + "'");
}

py::tuple preprocess(py::handle mjd, py::handle band, py::handle flux, py::handle flux_err, py::handle flag,
                     py::handle offsets, const std::string& trigger, const std::string& history, int threads) {
    Columns c = check_columns(mjd, band, flux, flux_err, flag, offsets);
    const auto tr = parse_trigger(trigger);
    const auto hi = parse_history(history);
    const int64_t n = c.lc.n_objects;
    std::vector<int64_t> kept_len(n);
    std::vector<double> trig(n);
    ef::Selection sel;
    {
        py::gil_scoped_release release;
        sel = ef::preprocess_select(c.lc, tr, hi, threads, kept_len.data(), trig.data());
    }
    int64_t n_kept = 0, m = 0;
    for (int64_t i = 0; i < n; ++i) if (kept_len[i] >= 0) { ++n_kept; m += kept_len[i]; }
    py::array_t<double> o_mjd(m), o_trig(n_kept);
    py::array_t<uint8_t> o_band(m);
    py::array_t<float> o_flux(m), o_err(m);
    py::array_t<int32_t> o_flag(m);
    py::array_t<int64_t> o_off(n_kept + 1), o_kept(n_kept);
    std::vector<int64_t> start(n, -1);
    {
        int64_t* off = o_off.mutable_data();
        int64_t* kept = o_kept.mutable_data();
        double* tm = o_trig.mutable_data();
        int64_t j = 0, pos = 0;
        off[0] = 0;
        for (int64_t i = 0; i < n; ++i) {
            if (kept_len[i] < 0) continue;
            start[i] = pos; kept[j] = i; tm[j] = trig[i];
            pos += kept_len[i]; off[++j] = pos;
        }
    }
    {
        double* pm = o_mjd.mutable_data(); uint8_t* pb = o_band.mutable_data();
        float* pf = o_flux.mutable_data(); float* pe = o_err.mutable_data(); int32_t* pg = o_flag.mutable_data();
        py::gil_scoped_release release;
        ef::preprocess_gather(c.lc, sel, start.data(), pm, pb, pf, pe, pg);
    }
    return py::make_tuple(o_mjd, o_band, o_flux, o_err, o_flag, o_off, o_kept, o_trig);
}

py::dict augment(py::handle mjd, py::handle band, py::handle flux, py::handle flux_err, py::handle flag,
                 py::handle offsets, py::handle trigger_mjd, py::handle static_obj, const std::string& windows,
                 py::handle days, int64_t min_length, int64_t max_length, bool keep_last, uint64_t seed,
                 int64_t index_base, double time_scale, const std::string& flux_scale, double flux_divisor,
                 const std::string& band_encoding, int64_t pad_to, int threads, py::object out_buffer) {
    Columns c = check_columns(mjd, band, flux, flux_err, flag, offsets);
    const int64_t n = c.lc.n_objects;
    auto trig = checked<double>(trigger_mjd, "trigger_mjd", 1, n);
    auto stat = checked<float>(static_obj, "static", 2, n);
    auto dys = checked<double>(days, "days");
    if (min_length < 1) throw py::value_error("min_length: must be >= 1");
    if (max_length == 0 || max_length < -1) throw py::value_error("max_length: must be >= 1 (or -1 for none)");
    if (!(time_scale > 0)) throw py::value_error("time_scale: must be > 0");
    if (!(flux_divisor > 0) || std::isinf(flux_divisor)) throw py::value_error("flux_divisor: must be a positive number");
    if (flux_scale != "linear" && flux_scale != "asinh")
        throw py::value_error("flux_scale: expected 'linear' or 'asinh', got '" + flux_scale + "'");
    if (band_encoding != "wavelength" && band_encoding != "onehot")
        throw py::value_error("band_encoding: expected 'wavelength' or 'onehot', got '" + band_encoding + "'");
    ef::WindowSpec spec;
    spec.mode = parse_windows(windows);
    spec.days = dys.data(); spec.n_days = dys.shape(0);
    spec.min_length = min_length; spec.max_length = max_length; spec.keep_last = keep_last;
    spec.seed = seed; spec.index_base = index_base;
    ef::FeatureSpec feat{time_scale, flux_scale == "asinh", flux_divisor, band_encoding == "onehot"};
    const int F = ef::n_features(feat);
    const int64_t S = stat.shape(1);
    std::vector<ef::Window> plan;
    {
        py::gil_scoped_release release;
        plan = ef::plan_windows(c.lc, trig.data(), spec, threads);
    }
    const int64_t N = static_cast<int64_t>(plan.size());
    int64_t T = 0;
    for (const auto& w : plan) T = std::max(T, w.hi - w.lo);
    if (pad_to >= 0) {
        if (pad_to < T) throw py::value_error("pad_to: " + std::to_string(pad_to) + " is shorter than the longest window (" + std::to_string(T) + ")");
        T = pad_to;
    }
    py::array_t<float> x;
    if (out_buffer.is_none()) {
        x = py::array_t<float>({N, T, static_cast<int64_t>(F)});
    } else {  // reuse the caller's buffer (streaming): x is a view of its first N*T*F floats
        auto buf = checked<float>(out_buffer, "out", 1);
        if (buf.shape(0) < N * T * F)
            throw py::value_error("out: buffer of " + std::to_string(buf.shape(0)) + " floats, need " +
                                  std::to_string(N * T * F));
        if (!buf.writeable()) throw py::value_error("out: buffer is read-only");
        x = py::array_t<float>({N, T, static_cast<int64_t>(F)}, buf.mutable_data(), buf);
    }
    py::array_t<int32_t> lengths(N);
    py::array_t<int64_t> source(N);
    py::array_t<double> t_end(N), day_out(N);
    py::array_t<float> static_out({N, S});
    {
        float* px = x.mutable_data(); int32_t* pl = lengths.mutable_data(); int64_t* ps = source.mutable_data();
        double* pt = t_end.mutable_data(); float* pso = static_out.mutable_data(); double* pd = day_out.mutable_data();
        const float* pstat = stat.data();
        py::gil_scoped_release release;
        ef::fill_windows(c.lc, trig.data(), plan, feat, T, pstat, S, threads, px, pl, ps, pt, pso, pd);
    }
    py::dict out;
    out["x"] = x; out["lengths"] = lengths; out["source"] = source; out["t_end"] = t_end;
    out["static"] = static_out; out["days"] = day_out;
    return out;
}

py::array_t<float> static_features(py::handle values, py::handle ra, py::handle dec, bool flags, double missing,
                                   py::handle sentinels, double sin_b_max, py::handle ngp, py::handle ddf,
                                   double cos_radius) {
    auto v = checked<double>(values, "values", 2);
    const int64_t n = v.shape(0), k = v.shape(1);
    auto r = checked<double>(ra, "ra", 1, n);
    auto d = checked<double>(dec, "dec", 1, n);
    auto s = checked<double>(sentinels, "sentinels");
    auto g = checked<double>(ngp, "ngp", 1, 3);
    auto f = checked<double>(ddf, "ddf", 2);
    if (f.shape(1) != 2) throw py::value_error("ddf: expected shape (m, 2) of (RA, Dec) in degrees");
    std::vector<double> dra(f.shape(0)), ddec(f.shape(0));
    for (py::ssize_t i = 0; i < f.shape(0); ++i) { dra[i] = f.at(i, 0); ddec[i] = f.at(i, 1); }
    ef::StaticSpec spec;
    spec.missing = missing; spec.sentinels = s.data(); spec.n_sentinels = static_cast<int>(s.shape(0));
    spec.flags = flags; spec.sin_b_max = sin_b_max;
    for (int i = 0; i < 3; ++i) spec.ngp[i] = g.at(i);
    spec.ddf_ra = dra.data(); spec.ddf_dec = ddec.data(); spec.n_ddf = static_cast<int>(dra.size());
    spec.cos_radius = cos_radius;
    py::array_t<float> out({n, ef::n_static(spec, k)});
    float* po = out.mutable_data();
    const double *pv = v.data(), *pr = r.data(), *pd = d.data();
    {
        py::gil_scoped_release release;
        ef::static_features(pv, n, k, pr, pd, spec, po);
    }
    return out;
}

}  // namespace

void register_augment(py::module_& m) {
    m.def("preprocess", &preprocess, py::arg("mjd"), py::arg("band"), py::arg("flux"), py::arg("flux_err"),
          py::arg("flag"), py::arg("offsets"), py::arg("trigger"), py::arg("history"), py::arg("threads") = 0,
          "Sort, drop saturated points, find the trigger and cut the history of every object.\n"
          "Returns (mjd, band, flux, flux_err, flag, offsets, kept_index, trigger_mjd).");
    m.def("augment", &augment, py::arg("mjd"), py::arg("band"), py::arg("flux"), py::arg("flux_err"),
          py::arg("flag"), py::arg("offsets"), py::arg("trigger_mjd"), py::arg("static"), py::arg("windows"),
          py::arg("days"), py::arg("min_length"), py::arg("max_length"), py::arg("keep_last"), py::arg("seed"),
          py::arg("index_base"), py::arg("time_scale"), py::arg("flux_scale"), py::arg("flux_divisor"),
          py::arg("band_encoding"), py::arg("pad_to"), py::arg("threads") = 0, py::arg("out") = py::none(),
          "Window preprocessed light curves into a zero-padded (N, T, F) float32 array.\n"
          "Returns a dict with x, lengths, source, t_end, static, days; x is a view of `out` when given.");
    m.def("static_features", &static_features, py::arg("values"), py::arg("ra"), py::arg("dec"), py::arg("flags"),
          py::arg("missing"), py::arg("sentinels"), py::arg("sin_b_max"), py::arg("ngp"), py::arg("ddf"),
          py::arg("cos_radius"),
          "HEAD values with sentinels -> missing, plus MW-plane and DDF flags; (n, S) float32.");
}
