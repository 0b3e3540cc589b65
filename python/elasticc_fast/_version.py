from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("elasticc_fast")
except PackageNotFoundError:  # running from a source tree (PYTHONPATH=python)
    __version__ = "0.1.0.dev0"
