"""ctypes binding of oneDNN's C API: loader (finds libdnnl), constants (generated), api (typed wrappers)."""
