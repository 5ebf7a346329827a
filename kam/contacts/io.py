"""The fields of a contact as files and the API see them (DATA-3, DATA-5)."""

from __future__ import annotations

from kam.contacts.models import BuyingRole, Familiarity, Influence, Stance
from kam.core.fields import Field, boolean, choice, email, text

CONTACT_FIELDS: list[Field] = [
    Field("external_id", text(64), ("联系人编号", "contact_id", "id"), required=True),
    Field(
        "account", text(64), ("客户编号", "客户代码", "account_id", "customer_id"), required=True
    ),
    Field("name", text(120), ("姓名", "联系人", "联系人姓名", "contact_name"), required=True),
    Field("title", text(120), ("职务", "职位", "contact_title"), default=""),
    Field("department", text(120), ("部门",), default=""),
    Field("email", email, ("邮箱", "电子邮件"), default=""),
    Field("phone", text(40), ("电话", "手机"), default=""),
    Field("buying_role", choice(BuyingRole), ("采购角色", "角色", "role"), default=BuyingRole.NONE),
    Field("influence", choice(Influence), ("影响力",), default=Influence.MEDIUM),
    Field("stance", choice(Stance), ("态度", "立场"), default=Stance.UNKNOWN),
    Field(
        "familiarity", choice(Familiarity), ("熟悉程度", "关系程度"), default=Familiarity.UNKNOWN
    ),
    Field("our_counterpart", text(150), ("我方对接人", "对接人")),
    Field("reports_to", text(64), ("上级", "汇报对象", "reports_to_id")),
    Field("is_active", boolean, ("在职",), default=True),
    Field("notes_superiors", text(5000), ("与上级关系",), default=""),
    Field("notes_peers", text(5000), ("与同级关系",), default=""),
    Field("notes_subordinates", text(5000), ("与下属关系",), default=""),
    Field("notes", text(5000), ("备注",), default=""),
]

CONTACT_PLAIN_FIELDS = [
    f.name for f in CONTACT_FIELDS if f.name not in {"account", "our_counterpart", "reports_to"}
]
CONTACT_AUDIT_FIELDS = [*CONTACT_PLAIN_FIELDS, "account", "our_counterpart", "reports_to"]
