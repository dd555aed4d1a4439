"""Tuesday 3 June 2025; Tuesday 3 June 2025, 14:05."""

DATE_FORMAT = "l j F Y"
DATETIME_FORMAT = "l j F Y, H:i"
