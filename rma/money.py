"""Amounts and currencies as customers are refunded or quoted them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.exceptions import InvalidInput

# ISO 4217 codes of the currencies in circulation (funds, metals and testing codes left out).
_CODES = """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
    CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD
    HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD
    LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK
    PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS
    TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
CURRENCIES = frozenset(_CODES.split())


def amount_parse(amount: Decimal | str | float, *, field: str = "amount", what: str = "amount") -> Decimal:
    """A positive amount with two decimals, or a clear error."""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"The {what} must be a number.", code="invalid_amount", field=field) from None
    if value <= 0 or value >= Decimal("100000000"):
        raise InvalidInput(f"The {what} must be positive.", code="invalid_amount", field=field)
    return value


def currency_parse(currency: str) -> str:
    """An ISO 4217 code (``eur`` → ``EUR``), or a clear error."""
    code = currency.strip().upper()
    if code not in CURRENCIES:
        raise InvalidInput(
            f"“{currency}” is not an ISO 4217 currency code (such as EUR, USD or GBP).",
            code="invalid_currency",
            field="currency",
        )
    return code
