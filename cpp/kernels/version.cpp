// Keeps the kernel library non-empty; the kernels live beside it, one header + source per concern.
namespace ef {
const char* kernels_name() { return "elasticc_fast kernels"; }
}
