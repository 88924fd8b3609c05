"""Translator modules, one per op family; importing them registers their translators."""
