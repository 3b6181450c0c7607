"""Management tools and a typed client library for the Apache Qpid C++ broker (qpidd)."""

__version__ = "0.1.0"
