"""Op definitions: one module per op family; each op class is registered by type name and version."""
