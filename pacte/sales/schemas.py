import datetime
from uuid import UUID

from ninja import Field, FilterSchema, Schema


class ChannelOut(Schema):
    uuid: UUID
    code: str
    name_en: str
    name_fr: str
    position: int
    is_active: bool


class ChannelIn(Schema):
    code: str = Field(..., min_length=1, max_length=40, pattern=r"^[-a-z0-9_]+$")
    name_en: str = Field(..., min_length=1, max_length=100)
    name_fr: str = Field(..., min_length=1, max_length=100)
    position: int = Field(0, ge=0, le=32767)


class ChannelPatch(Schema):
    name_en: str | None = Field(None, min_length=1, max_length=100)
    name_fr: str | None = Field(None, min_length=1, max_length=100)
    position: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None


class CreditOut(Schema):
    seller: UUID
    seller_name: str
    kind: str
    basis_points: int
    amount: int = Field(..., description="Minor units.")


class SaleOut(Schema):
    uuid: UUID
    source: str
    external_id: str
    date: datetime.date
    amount: int = Field(..., description="Minor units of the workspace currency.")
    currency: str
    own_currency: str = Field(..., description="The currency the sale was booked in.")
    own_amount: int = Field(..., description="Minor units of the currency it was booked in.")
    channel: str
    customer: str | None
    territory: str
    solution: str
    credits: list[CreditOut]


class SaleFilter(FilterSchema):
    """Same filters as the sales page (``SaleFilterForm``), applied by ``filter_sales``."""

    q: str = ""
    channel: UUID | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    seller: UUID | None = None


class ImportErrorOut(Schema):
    line: int | None
    column: str | None
    code: str
    message: str
    detail: str | None = None


class ImportJobOut(Schema):
    uuid: UUID
    kind: str
    source: str
    file_name: str
    status: str
    progress: int
    rows_read: int
    created: int
    updated: int
    unchanged: int
    error_count: int
    message: str
    errors: list[ImportErrorOut]


class RuleOut(Schema):
    uuid: UUID
    channel: UUID | None
    territory: str
    kind: str
    target: str
    owner: UUID | None
    priority: int
    is_active: bool
    version: int


class RuleIn(Schema):
    channel: UUID | None = None
    territory: str = Field("", max_length=100)
    kind: str = Field("split", pattern="^(split|overlay)$")
    target: str = Field("owner", pattern="^(owner|account)$")
    owner: UUID | None = None
    priority: int = Field(100, ge=0, le=2_147_483_647)
    is_active: bool = True


class RulePatch(Schema):
    channel: UUID | None = None
    clear_channel: bool = False
    territory: str | None = Field(None, max_length=100)
    kind: str | None = Field(None, pattern="^(split|overlay)$")
    target: str | None = Field(None, pattern="^(owner|account)$")
    owner: UUID | None = None
    priority: int | None = Field(None, ge=0, le=2_147_483_647)
    is_active: bool | None = None
    version: int = Field(..., description="The version you read; a stale one gets 412.")


class RateIn(Schema):
    currency: str = Field(..., description="ISO 4217 code, e.g. CHF.")
    date: datetime.date = Field(..., description="The day the rate applies from.")
    rate: str = Field(
        ...,
        description="Units of the workspace currency one unit is worth, as text with a decimal "
        'point (e.g. "1.0712"; at most ten decimals; never a JSON number, which would be a float).',
    )
    version: int | None = Field(
        None, description="Changing one rate: the version read (412 if stale)."
    )


class RateOut(Schema):
    uuid: UUID
    currency: str
    date: datetime.date
    rate: str
    version: int


class RatesResult(Schema):
    created: int
    updated: int
    unchanged: int
    revalued: int = Field(..., description="Sales converted again at the new rates.")
    deals_revalued: int = Field(0, description="Open deals converted again at the new rates.")


class CurrencySettingsIn(Schema):
    missing_rate: str = Field(..., description='"previous" (the last known rate) or "refuse".')
    version: int | None = None


class CurrencySettingsOut(Schema):
    currency: str = Field(..., description="The workspace currency.")
    missing_rate: str
    version: int
