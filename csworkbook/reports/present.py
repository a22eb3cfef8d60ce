"""Numbers and tables as a reader should see them, in English or Japanese: money as money
(万円 / 億円 in Japanese), rates as percentages, dates as a reader writes them, human column
labels from :mod:`~csworkbook.reports.glossary`.

A report notebook formats every figure it prints through these functions, so that a report
reads the same way whatever the language::

    say(LANG, en=f"GRR was {percent(g)}.", ja=f"GRRは{percent(g)}でした。")
"""

from __future__ import annotations

import html
import re

import pandas as pd

from .glossary import check_lang, term

MONEY = {
    "start_mrr",
    "end_mrr",
    "arr",
    "mrr",
    "arr_at_risk",
    "expected_arr",
    "new",
    "expansion",
    "contraction",
    "churned",
    "reactivation",
    "ltv",
    "cac",
    "arr_lost",
    "arr_renewing",
}
PERCENT = {"logo_churn", "grr", "nrr", "mrr_churn", "net_mrr_churn", "churn_rate", "share", "risk"}
COUNTS = {"units", "rows", "columns", "customers", "accounts"}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_JA_UNITS = {"JPY": "円", "USD": "ドル", "EUR": "ユーロ", "GBP": "ポンド"}


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def money(value, currency: str = "USD", lang: str = "en") -> str:
    """A whole amount with thousands separators and the currency's symbol (or code); in
    Japanese, large amounts in 万 (10⁴) and 億 (10⁸) as Japanese readers count them.

    >>> money(1486230.0), money(-1200, "JPY"), money(5, "CHF")
    ('$1,486,230', '-¥1,200', '5 CHF')
    >>> money(1486230.0, "JPY", "ja"), money(250_000_000, "JPY", "ja"), money(9800, "JPY", "ja")
    ('149万円', '2.5億円', '9,800円')
    >>> money(1486230.0, "USD", "ja")
    '148.6万ドル'
    """
    check_lang(lang)
    if _missing(value):
        return ""
    if isinstance(value, str):  # already formatted by the caller
        return value
    sign, amount = ("-" if value < 0 else ""), abs(float(value))
    if lang == "ja" and currency in _JA_UNITS:
        unit = _JA_UNITS[currency]
        digits = 0 if currency == "JPY" else 1
        if amount >= 1e8:
            return f"{sign}{amount / 1e8:,.{max(digits, 1)}f}億{unit}"
        if amount >= 1e4:
            return f"{sign}{amount / 1e4:,.{digits}f}万{unit}"
        return f"{sign}{amount:,.0f}{unit}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount:,.0f}" if symbol else f"{sign}{amount:,.0f} {currency}"


def percent(value, digits: int = 1) -> str:
    """A share as a percentage; empty for a missing value.

    >>> percent(0.9191), percent(float("nan")), percent(0.05, 0)
    ('91.9%', '', '5%')
    """
    return "" if _missing(value) else f"{value:.{digits}%}"


def count(value) -> str:
    """A whole number with thousands separators.

    >>> count(1500.0)
    '1,500'
    """
    return "" if _missing(value) else f"{int(round(float(value))):,}"


def date(value, lang: str = "en") -> str:
    """A date as a reader of ``lang`` writes it.

    >>> date("2025-12-31"), date("2025-12-31", "ja")
    ('31 Dec 2025', '2025年12月31日')
    """
    check_lang(lang)
    if _missing(value):
        return ""
    d = pd.Timestamp(value)
    return f"{d.year}年{d.month}月{d.day}日" if lang == "ja" else f"{d.day} {d:%b %Y}"


def say(lang: str, *, en: str, ja: str) -> str:
    """The sentence in the report's language (both are written where the figure is).

    >>> say("ja", en="Hello", ja="こんにちは")
    'こんにちは'
    """
    return ja if check_lang(lang) == "ja" else en


def readable(df, *, currency: str = "USD", lang: str = "en"):
    """Copy of a result table for people: human column labels, money as money, rates as
    percentages, counts with thousands separators, booleans as yes / no, category values
    (segments, bands) in words.

    Text cells stay text, so the notebook's HTML display escapes them.

    >>> t = pd.DataFrame({"units": [1500], "start_mrr": [1486230.0], "grr": [0.9191]},
    ...                  index=pd.Index(["smb"], name="segment"))
    >>> readable(t)
            Customers MRR at start    GRR
    Segment
    SMB         1,500   $1,486,230  91.9%
    >>> readable(t, currency="JPY", lang="ja").columns.tolist()
    ['顧客数', '期首MRR', 'GRR（売上維持率）']
    """
    check_lang(lang)
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        if c in MONEY:
            s = s.map(lambda v: money(v, currency, lang))
        elif c in PERCENT:
            s = s.map(percent)
        elif c in COUNTS:
            s = s.map(count)
        elif s.dtype == bool:
            s = s.map({True: term("yes", lang), False: term("no", lang)})
        out[term(c, lang)] = s
    out.index = _words(out.index, lang)
    return out


# Canonical values that read as words in an index (table names and ids stay as they are).
VALUES = {"enterprise", "mid_market", "smb", "red", "yellow", "green", "renewed", "churned"}


def _words(index: pd.Index, lang: str) -> pd.Index:
    """Index labels that are canonical values (segments, bands) in words; names as labels."""

    def word(v):
        return term(v, lang) if isinstance(v, str) and v in VALUES else v

    if isinstance(index, pd.MultiIndex):
        index = index.set_levels([lvl.map(word) for lvl in index.levels])
    else:
        index = index.map(word)
    names = [term(n, lang) if n is not None else None for n in index.names]
    return index.set_names(names)


def text(value) -> str:
    r"""A value from customer data made safe to put in a report's Markdown: the characters
    Markdown acts on (links, emphasis, code) backslash-escaped and HTML escaped, so a name
    such as ``[x](javascript:…)`` or ``<img onerror=…>`` shows as the text it is.

    >>> print(text("<img src=x onerror=alert(1)>"))
    &lt;img src=x onerror=alert\(1\)&gt;
    >>> print(text("[csm](javascript:alert(1))"))
    \[csm\]\(javascript:alert\(1\)\)
    """
    marked = re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", str(value))
    return html.escape(marked, quote=False)


def show(lang: str, *, en: str, ja: str) -> None:
    """Display a report's text (Markdown) in its language. Values from customer data must go
    through :func:`text` before they are put in it. Dollar amounts stay dollar amounts: the
    text is marked for MathJax to leave alone (a backslash before ``$`` does not survive
    nbconvert's Markdown)."""
    from IPython.display import Markdown, display

    body = say(lang, en=en, ja=ja)
    if "$" in body:
        body = f'<div class="tex2jax_ignore mathjax_ignore">\n\n{body}\n\n</div>'
    display(Markdown(body))
