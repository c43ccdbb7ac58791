"""API keys and the territories they reach (docs/architecture.md §13, docs/reliability.md §2 «API keys»).

A key is a random 32-byte secret; the database keeps only its sha256 (``ApiToken.secret_hash``) and
its first characters (``prefix``), so a copy of the database opens nothing. A key belongs to a
region, a municipality, or the whole country (neither), and every figure the API gives is of a
territory inside it: ``territory_in_scope`` is the one check, used by every endpoint.
"""

import dataclasses
import hashlib
import re
import secrets

from django.db.models import Q
from django.utils import timezone

from registry.models import Municipality, Region

from ..models import ApiToken

COUNTRY_CODE = "RU"
COUNTRY_NAME = "Российская Федерация"
# Region and municipality codes are short (registry.models, max_length=20); anything else is unknown
# without a query (NUL characters and the like never reach the database).
_CODE = re.compile(r"[\w.\-]{1,20}")


class TerritoryNotFound(Exception):
    """No such territory within the key's reach (unknown and foreign codes answer alike)."""


class TerritoryAmbiguous(Exception):
    """A name that several territories bear."""


@dataclasses.dataclass(frozen=True)
class Territory:
    level: str  # "country", "region", "municipality"
    code: str
    name: str
    region: Region | None = None
    municipality: Municipality | None = None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *, name: str, region=None, municipality=None, expires_at=None, user=None
) -> tuple[ApiToken, str]:
    """A new key and its secret: the secret is returned here once and stored nowhere."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        region=region,
        municipality=municipality,
        prefix=secret[: ApiToken.PREFIX_LENGTH],
        secret_hash=hash_secret(secret),
        expires_at=expires_at,
        created_by=user,
    )
    token.full_clean()
    token.save()
    return token, secret


def token_revoke(*, token: ApiToken, at=None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = at or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_for_secret(*, secret: str) -> ApiToken | None:
    """The key with this secret, active or not (None: unknown). One query."""
    if not secret or len(secret) > 200:
        return None
    return (
        ApiToken.objects.select_related("region", "municipality__region")
        .filter(secret_hash=hash_secret(secret))
        .first()
    )


def own_territory(*, token: ApiToken) -> Territory:
    if token.municipality is not None:
        m = token.municipality
        return Territory("municipality", m.code, m.name, m.region, m)
    if token.region is not None:
        return Territory("region", token.region.code, token.region.name, token.region)
    return Territory("country", COUNTRY_CODE, COUNTRY_NAME)


def territory_in_scope(*, token: ApiToken, code: str) -> Territory:
    """The territory with this code if the key reaches it, else ``TerritoryNotFound`` (a foreign
    territory is answered exactly like an unknown one). At most two queries."""
    code = (code or "").strip()
    if code.upper() == COUNTRY_CODE:
        if token.region_id is None and token.municipality_id is None:
            return own_territory(token=token)
        raise TerritoryNotFound(code)
    if not _CODE.fullmatch(code):
        raise TerritoryNotFound(code)
    if token.municipality_id is None:
        region = Region.objects.filter(code=code).first()
        if region is not None:
            if token.region_id in (None, region.pk):
                return Territory("region", region.code, region.name, region)
            raise TerritoryNotFound(code)
    municipality = Municipality.objects.select_related("region").filter(code=code).first()
    if municipality is None:
        raise TerritoryNotFound(code)
    inside = (
        municipality.pk == token.municipality_id
        if token.municipality_id is not None
        else token.region_id in (None, municipality.region_id)
    )
    if not inside:
        raise TerritoryNotFound(code)
    return Territory("municipality", municipality.code, municipality.name, municipality.region, municipality)


def territory_by_code_or_name(*, text: str) -> Territory:
    """For ``create_api_token``: a region's or a municipality's code or name, or the country."""
    text = (text or "").strip()
    if text.upper() == COUNTRY_CODE or text.casefold() == COUNTRY_NAME.casefold():
        return Territory("country", COUNTRY_CODE, COUNTRY_NAME)
    regions = list(Region.objects.filter(Q(code=text) | Q(name__iexact=text)))
    municipalities = list(
        Municipality.objects.select_related("region").filter(Q(code=text) | Q(name__iexact=text))
    )
    found = [Territory("region", r.code, r.name, r) for r in regions] + [
        Territory("municipality", m.code, m.name, m.region, m) for m in municipalities
    ]
    if not found:
        raise TerritoryNotFound(text)
    if len(found) > 1:
        raise TerritoryAmbiguous(", ".join(f"{t.name} ({t.code})" for t in found))
    return found[0]
