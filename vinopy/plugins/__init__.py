"""Device plugins, found by device name and imported lazily."""
