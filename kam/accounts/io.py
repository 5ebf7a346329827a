"""The fields of an account as files and the API see them (DATA-5).

Import, export and the API share this list, so a column means the same everywhere and
a bad value gets the same message everywhere.
"""

from __future__ import annotations

from decimal import Decimal

from kam.accounts.models import (
    AccountStatus,
    CreditRating,
    HierarchyLevel,
    Industry,
    OwnershipType,
)
from kam.core.fields import Field, FieldError, choice, decimal, integer, tag_list, text

MONEY_MAX = Decimal("99999999999999")

# Words people write in ERP exports besides the labels.
OWNERSHIP_SYNONYMS = {
    "国有": OwnershipType.STATE_OWNED,
    "国企": OwnershipType.STATE_OWNED,
    "央企": OwnershipType.STATE_OWNED,
    "soe": OwnershipType.STATE_OWNED,
    "民营": OwnershipType.PRIVATE,
    "民企": OwnershipType.PRIVATE,
    "私营": OwnershipType.PRIVATE,
    "外资": OwnershipType.FOREIGN_INVESTED,
    "外企": OwnershipType.FOREIGN_INVESTED,
    "独资": OwnershipType.FOREIGN_INVESTED,
    "合资": OwnershipType.JOINT_VENTURE,
    "集体": OwnershipType.COLLECTIVE,
    "事业单位": OwnershipType.PUBLIC_INSTITUTION,
}
INDUSTRY_SYNONYMS = {
    "制造": Industry.MANUFACTURING,
    "制造业": Industry.MANUFACTURING,
    "电信": Industry.TELECOM,
    "通信": Industry.TELECOM,
    "金融": Industry.FINANCE,
    "银行": Industry.FINANCE,
    "医疗": Industry.HEALTHCARE,
    "能源": Industry.ENERGY,
    "零售": Industry.RETAIL,
    "物流": Industry.LOGISTICS,
    "建筑": Industry.CONSTRUCTION,
    "房地产": Industry.CONSTRUCTION,
    "软件": Industry.IT,
    "互联网": Industry.IT,
    "政府": Industry.GOVERNMENT,
    "教育": Industry.EDUCATION,
    "化工": Industry.CHEMICALS,
    "汽车": Industry.AUTOMOTIVE,
    "食品": Industry.FOOD,
    "农业": Industry.AGRICULTURE,
}


def country(raw: object) -> str:
    value = text(60)(raw).strip()
    named = COUNTRY_NAMES.get(value.casefold())
    if named:
        return named
    if len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    raise FieldError("unknown country", raw, "a two-letter ISO code such as CN, US or DE")


COUNTRY_NAMES = {
    "china": "CN",
    "中国": "CN",
    "中华人民共和国": "CN",
    "prc": "CN",
    "hong kong": "HK",
    "香港": "HK",
    "taiwan": "TW",
    "台湾": "TW",
    "macau": "MO",
    "澳门": "MO",
    "united states": "US",
    "usa": "US",
    "美国": "US",
    "germany": "DE",
    "德国": "DE",
    "japan": "JP",
    "日本": "JP",
    "singapore": "SG",
    "新加坡": "SG",
    "united kingdom": "GB",
    "uk": "GB",
    "英国": "GB",
    "france": "FR",
    "法国": "FR",
    "korea": "KR",
    "韩国": "KR",
    "vietnam": "VN",
    "越南": "VN",
    "malaysia": "MY",
    "马来西亚": "MY",
    "australia": "AU",
    "澳大利亚": "AU",
    "brazil": "BR",
    "巴西": "BR",
    "india": "IN",
    "印度": "IN",
}

ACCOUNT_FIELDS: list[Field] = [
    Field(
        "external_id",
        text(64),
        ("客户编号", "客户代码", "account_id", "customer_id", "id"),
        required=True,
    ),
    Field(
        "name",
        text(200),
        ("客户名称", "公司名称", "名称", "company_name", "customer_name", "company"),
        required=True,
    ),
    Field("industry", choice(Industry, INDUSTRY_SYNONYMS), ("行业",), default=Industry.OTHER),
    Field("employees", integer(minimum=0, maximum=10_000_000), ("员工人数", "员工数")),
    Field(
        "annual_revenue",
        decimal(minimum=Decimal(0), maximum=MONEY_MAX),
        ("年营业额", "年收入", "营业收入"),
    ),
    Field("country", country, ("国家", "国家/地区"), default="CN"),
    Field("province", text(60), ("省份", "省", "state"), default=""),
    Field("city", text(60), ("城市", "市"), default=""),
    Field("region", text(100), ("销售区域", "大区", "sales_region")),
    Field(
        "ownership_type",
        choice(OwnershipType, OWNERSHIP_SYNONYMS),
        ("所有制", "所有制类型", "企业性质", "ownership"),
        default=OwnershipType.PRIVATE,
    ),
    Field(
        "credit_rating",
        choice(CreditRating),
        ("信用等级", "信用评级"),
        default=CreditRating.UNRATED,
    ),
    Field("credit_limit", decimal(minimum=Decimal(0), maximum=MONEY_MAX), ("信用额度",)),
    Field("status", choice(AccountStatus), ("状态", "客户状态"), default=AccountStatus.ACTIVE),
    Field("tags", tag_list, ("标签",), default=[]),
    Field(
        "parent",
        text(64),
        ("上级客户", "上级客户编号", "母公司", "parent_id", "parent_external_id"),
    ),
    Field(
        "hierarchy_level",
        choice(HierarchyLevel),
        ("层级", "层级类型", "level"),
        default=HierarchyLevel.STANDALONE,
    ),
    Field("owner", text(150), ("客户经理", "负责人", "owner_username", "account_manager")),
    Field("website", text(200), ("网址", "网站"), default=""),
    Field("business_situation", text(5000), ("经营状况", "业务状况"), default=""),
    Field("decision_process", text(5000), ("决策流程", "决策过程"), default=""),
    Field("latent_needs", text(5000), ("潜在需求",), default=""),
    Field("notes", text(5000), ("备注",), default=""),
]

# Fields that are written straight onto the model (the rest are references or tags).
ACCOUNT_PLAIN_FIELDS = [
    f.name for f in ACCOUNT_FIELDS if f.name not in {"region", "tags", "parent", "owner"}
]
ACCOUNT_AUDIT_FIELDS = [*ACCOUNT_PLAIN_FIELDS, "region", "parent", "owner", "tags"]
