"""Showing amounts of money: US dollars from Decimals, never through a float."""

from decimal import Decimal


def usd(amount, *, cents=True):
    """ "$1,234.56"; with cents=False a whole amount drops them ("$20"), as on the ID card."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if not cents and amount == amount.to_integral_value():
        return f"{sign}${amount:,.0f}"
    return f"{sign}${amount:,.2f}"
