"""Data shipped with symtok: the vocabulary, example rows and the default models (found by symtok.files.data_path)."""
