"""What every app shares and no app owns: the action registry and its admin and API faces, strict API
input and the error handler, typed errors, CSV import helpers, actor helpers, rate limits.

``core`` imports no app of the product; ``rma`` and ``diagnostics`` depend on it.
"""
