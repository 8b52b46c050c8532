"""How figures read in answers: thousands separators, units, plurals and percentages."""


def number(value: float | int, decimals: int | None = None) -> str:
    """A figure with thousands separators and its own decimals, at most two (e.g. 21551.56 -> "21,551.56")."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else min(2, len(repr(float(value)).split(".")[1]))
    return f"{value:,.{decimals}f}"


def usd(value: float) -> str:
    """An amount of money, e.g. "21,551.56 USD"."""
    return f"{value:,.2f} USD" if not float(value).is_integer() else f"{value:,.0f} USD"


def percent(share: float) -> str:
    """A share between 0 and 1 as a whole percentage, e.g. 0.25 -> "25%"."""
    return f"{round(share * 100)}%"


def plural(count: float | int, noun: str, plural_form: str | None = None) -> str:
    """A count with its noun, singular for exactly one (e.g. "1 load", "2 loads", "1 hour", "1,204 units")."""
    word = noun if count == 1 else (plural_form or noun + "s")
    return f"{number(count)} {word}"


def year(value: int) -> str:
    """A model year, without a thousands separator."""
    return str(int(value))
