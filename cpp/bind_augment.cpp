// Bindings for preprocessing and windowing (filled by the augmentation work).
#include <pybind11/pybind11.h>
namespace py = pybind11;
void register_augment(py::module_& m) { (void)m; }
