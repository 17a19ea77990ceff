"""Dates on CareCase's pages (issue 15): one format for dates, one for date-times, the short
ones the same, so "2026年12月1日" never sits beside "2026-12-01 16:17". Templates write
|date (DATE_FORMAT), |date:"SHORT_DATE_FORMAT" or |date:"SHORT_DATETIME_FORMAT"; a date
input's value stays ISO (Y-m-d), as the browser needs. Input formats: Django's."""

DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
