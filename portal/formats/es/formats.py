"""The portal's one date style (US Spanish): calendar dates "2 de diciembre de 2026", times
"2 de diciembre de 2026, 5:57 p. m. CST"; numbers and money as in the US ("$1,234.56")."""

from django.utils.translation import gettext_noop

DATE_FORMAT = r"j \d\e F \d\e Y"
SHORT_DATE_FORMAT = r"j \d\e F \d\e Y"
TIME_FORMAT = "g:i a T"
DATETIME_FORMAT = r"j \d\e F \d\e Y, g:i a T"
SHORT_DATETIME_FORMAT = r"j \d\e F \d\e Y, g:i a T"
MONTH_DAY_FORMAT = r"j \d\e F"
YEAR_MONTH_FORMAT = r"F \d\e Y"
# Sunday, as on a US calendar.
FIRST_DAY_OF_WEEK = 0
# What a date field reads and writes back: ISO first, the only value an <input type="date"> takes.
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
# A decimal point and comma thousands, as US Spanish writes them (Spain's "1.234,56" would misread).
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

# The "a" above prints Django's "a.m."/"p.m."; the portal's catalog gives the spaced "a. m."/"p. m."
# US Spanish writes.
gettext_noop("a.m.")
gettext_noop("p.m.")
