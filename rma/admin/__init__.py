"""The returns app's admin, by topic; importing the package registers every model admin."""

from rma.admin import centres, records, returns, units  # noqa: F401
