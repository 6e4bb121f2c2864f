"""CSV cells that a spreadsheet shows as text and never runs as a formula.

Excel, LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-` or `@` as a
formula (a tab or carriage return in front does not stop them), so a headline, outlet or quote
taken from an article could run `=HYPERLINK(...)` or worse in whoever opens the export (CSV
or formula injection). Every CSV that spinscope writes from article data (the web exports,
`spinscope report --csv`) passes its cells through `safe_cell`.
"""

from __future__ import annotations

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """`value` for a CSV cell: text that a spreadsheet would run as a formula gets a leading
    `'` (which spreadsheets take as "this is text"); None becomes an empty cell.

    Numbers are left as they are, so that a negative number stays a number: a spreadsheet
    does not run one, and only text can carry a formula.
    """
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
