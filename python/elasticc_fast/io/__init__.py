"""Readers and writers for survey formats (SNANA FITS, alerts, ALeRCE, ZTF)."""
