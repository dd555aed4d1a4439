"""martes, 3 de junio de 2025; martes, 3 de junio de 2025, 14:05."""

DATE_FORMAT = r"l, j \d\e F \d\e Y"
DATETIME_FORMAT = r"l, j \d\e F \d\e Y, H:i"
