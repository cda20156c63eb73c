"""The plan files: what a plan and its activity templates say (`model`), and reading and
checking them (`loading`, with one module per part of the file)."""
