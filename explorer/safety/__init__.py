"""What is safe to open and run: the unsafe-op table and scan, archive extraction, and the
allowed roots a typed path must lie in. Imports ``graph`` and below."""
