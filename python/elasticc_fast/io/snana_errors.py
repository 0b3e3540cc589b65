"""The error raised for malformed SNANA / FITS input, by the C++ reader and its Python twin alike."""
from __future__ import annotations

from ..errors import DataError


class SnanaFormatError(DataError):
    """Bad SNANA FITS input; the message names the file, the object (SNID / row) and the reason."""
