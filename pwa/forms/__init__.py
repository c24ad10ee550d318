"""Form classes, one module per feature: they parse and check what people type."""
