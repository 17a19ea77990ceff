"""What the load users compute on their side, without Django (tests/carecase/test_bench_load.py
checks both against the application): the authenticator's 6-digit code and a valid ID number.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import random
import time

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def totp(key_hex: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits: django-otp's TOTPDevice and the phone's app)."""
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(bytes.fromhex(key_hex), counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**digits
    return f"{value:0{digits}d}"


def id_number(rng: random.Random) -> str:
    """A valid resident ID number registered in another district (秀山县), so it meets none
    of the bench population's."""
    birth = datetime.date(2010, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 10))
    first17 = f"500241{birth:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + ID_CHECK[total % 11]
