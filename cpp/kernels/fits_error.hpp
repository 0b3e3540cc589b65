// The one exception type of the FITS / SNANA readers: bad input bytes, never a programming error.
// Messages name the file, the object or row when known, and the reason.
#pragma once

#include <stdexcept>
#include <string>

namespace ef {

class FormatError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The operating system refused a read (missing file, permissions): not a format problem.
class IoError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace ef
