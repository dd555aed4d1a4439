"""terça-feira, 3 de junho de 2025; terça-feira, 3 de junho de 2025, 14:05."""

DATE_FORMAT = r"l, j \d\e F \d\e Y"
DATETIME_FORMAT = r"l, j \d\e F \d\e Y, H:i"
