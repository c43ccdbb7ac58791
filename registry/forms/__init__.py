"""Forms of the registry's screens, one module per area. Forms take ``user`` and scope their choices."""
