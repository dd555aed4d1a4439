"""الثلاثاء 3 يونيو 2025؛ الثلاثاء 3 يونيو 2025، 14:05."""

DATE_FORMAT = "l j F Y"
DATETIME_FORMAT = "l j F Y، H:i"
