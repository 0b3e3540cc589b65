"""PyCBC Live's mass-contour defaults (pycbc 2.11 ``mchirp_area`` and its O3 configuration).

Kept free of scipy so the CLI can show them in ``--help`` without importing the numerics.
"""
PYCBC_A0 = 0.74899  #: D_L = a0 * min effective distance
PYCBC_B0 = -0.51557  #: sigma_D = D_L * exp(b0) * snr**b1: intercept
PYCBC_B1 = -0.32195  #: slope
M0_DEFAULT = 0.01  #: relative chirp-mass spread
