"""The fields of orders and payments as files and the API see them (DATA-4, DATA-5)."""

from __future__ import annotations

from decimal import Decimal

from kam.core.fields import Field, date, decimal, text

MONEY = Decimal("99999999999999")

ORDER_FIELDS: list[Field] = [
    Field(
        "external_id",
        text(64),
        ("订单号", "订单编号", "单号", "order_id", "invoice_id", "id"),
        required=True,
    ),
    Field(
        "account", text(64), ("客户编号", "客户代码", "account_id", "customer_id"), required=True
    ),
    Field("order_date", date, ("日期", "订单日期", "下单日期", "date"), required=True),
    Field(
        "amount",
        decimal(minimum=-MONEY, maximum=MONEY),
        ("金额", "销售额", "订单金额"),
        required=True,
    ),
    Field("product", text(120), ("产品", "产品名称"), default=""),
    Field(
        "quantity",
        decimal(places=3, minimum=Decimal(-1_000_000_000), maximum=Decimal(1_000_000_000)),
        ("数量",),
        default=Decimal(1),
    ),
    Field("margin", decimal(minimum=-MONEY, maximum=MONEY), ("毛利", "毛利额")),
    Field(
        "discount_rate",
        decimal(places=4, minimum=Decimal(0), maximum=Decimal(1)),
        ("折扣", "折扣率", "discount"),
    ),
]
ORDER_PLAIN_FIELDS = [f.name for f in ORDER_FIELDS if f.name != "account"]
ORDER_AUDIT_FIELDS = [*ORDER_PLAIN_FIELDS, "account"]

PAYMENT_FIELDS: list[Field] = [
    Field("external_id", text(64), ("收款单号", "付款编号", "payment_id", "id"), required=True),
    Field(
        "account", text(64), ("客户编号", "客户代码", "account_id", "customer_id"), required=True
    ),
    Field("order", text(64), ("订单号", "订单编号", "order_id", "invoice_id")),
    Field("due_date", date, ("到期日", "应付日期", "应收日期"), required=True),
    Field("paid_date", date, ("付款日期", "实付日期", "到账日期")),
    Field("amount", decimal(minimum=-MONEY, maximum=MONEY), ("金额", "应收金额"), required=True),
]
PAYMENT_PLAIN_FIELDS = [f.name for f in PAYMENT_FIELDS if f.name not in {"account", "order"}]
PAYMENT_AUDIT_FIELDS = [*PAYMENT_PLAIN_FIELDS, "account", "order"]
