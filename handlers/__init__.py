"""HTTP and storage adapters around the pure :mod:`clipping` engine (the Lambda entry points)."""
