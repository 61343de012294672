"""The portal's one date style (English): calendar dates "Dec 1, 2026", times "Dec 1, 2026, 5:57 PM CST"."""

DATE_FORMAT = "M j, Y"
SHORT_DATE_FORMAT = "M j, Y"
TIME_FORMAT = "g:i A T"
DATETIME_FORMAT = "M j, Y, g:i A T"
SHORT_DATETIME_FORMAT = "M j, Y, g:i A T"
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "F Y"
