"""Documentation generated from the Click definitions (see ``python -m qpidtools.generate``)."""
