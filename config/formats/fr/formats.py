"""mardi 3 juin 2025 ; mardi 3 juin 2025, 14:05."""

DATE_FORMAT = "l j F Y"
DATETIME_FORMAT = "l j F Y, H:i"
