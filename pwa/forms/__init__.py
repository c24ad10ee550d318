"""Form classes, one module per feature: they parse and check input, services get typed values."""
