// Bindings for the FITS / SNANA reader (filled by the converter work).
#include <pybind11/pybind11.h>
namespace py = pybind11;
void register_fits(py::module_& m) { (void)m; }
