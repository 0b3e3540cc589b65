// The extension module elasticc_fast._core. Each concern registers its bindings from cpp/bind_<concern>.cpp.
#include <pybind11/pybind11.h>

#ifndef ELASTICC_FAST_VERSION
#define ELASTICC_FAST_VERSION "dev"
#endif

namespace py = pybind11;

void register_fits(py::module_& m);
void register_augment(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "C++ hot paths of elasticc_fast: FITS/SNANA reading, preprocessing and windowing.";
    m.attr("__version__") = ELASTICC_FAST_VERSION;
    register_fits(m);
    register_augment(m);
}
