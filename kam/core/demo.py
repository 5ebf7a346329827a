"""The demo book: a realistic B2B customer base for `kam demo`, the same for the same seed.

About 2,000 Chinese and international accounts in group hierarchies, three years of
orders with a Pareto-shaped spend (20% of accounts ≈ 80% of revenue) placed at fairly
regular intervals, payments mostly within terms (a minority late, a few seriously overdue)
against credit limits set from each account's exposure, buying-centre contacts that grow
with the account's weight (with an org chart), and a sales organisation.

`build_demo` is pure: a random.Random(seed) and a fixed as-of date, no clock, no
database. `write_demo_files` turns the book into the import CSV files, and `load_demo`
loads them through the normal import engine, so the demo also proves the import path.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from kam.accounts.io import ACCOUNT_FIELDS
from kam.accounts.models import (
    AccountStatus,
    CreditRating,
    HierarchyLevel,
    Industry,
    OwnershipType,
    TeamRole,
)
from kam.contacts.io import CONTACT_FIELDS
from kam.contacts.models import BuyingRole, Influence, Stance
from kam.core.models import Role
from kam.core.text import normalise_company_name
from kam.transactions.io import ORDER_FIELDS, PAYMENT_FIELDS

if TYPE_CHECKING:
    from kam.core.models import User
    from kam.dataio.engine import ImportReport, Progress

T = TypeVar("T")
Row = dict[str, str]

AS_OF = dt.date(2026, 10, 31)
HISTORY_YEARS = 3
DEMO_ACCOUNTS = 2000
# Printed by `kam demo`; only the demo database has these users.
DEMO_PASSWORD = "demo"  # noqa: S105
KINDS = ("accounts", "contacts", "transactions", "payments")

# --- geography -----------------------------------------------------------------------


@dataclass(frozen=True)
class SalesRegion:
    code: str
    name: str
    name_zh: str
    # (province, weight by economic size, cities); provinces in Chinese, without 省/市
    provinces: tuple[tuple[str, float, tuple[str, ...]], ...]


# fmt: off
REGIONS = (
    SalesRegion("east", "East China", "华东", (
        ("上海", 5, ("上海",)),
        ("江苏", 11, ("南京", "苏州", "无锡", "常州", "南通")),
        ("浙江", 8, ("杭州", "宁波", "温州", "绍兴", "嘉兴")),
        ("安徽", 4, ("合肥", "芜湖")),
        ("山东", 8, ("济南", "青岛", "烟台", "潍坊")),
        ("福建", 5, ("福州", "厦门", "泉州")),
    )),
    SalesRegion("north", "North China", "华北", (
        ("北京", 5, ("北京",)),
        ("天津", 2, ("天津",)),
        ("河北", 4, ("石家庄", "唐山", "保定")),
        ("山西", 2, ("太原", "大同")),
        ("内蒙古", 2, ("呼和浩特", "包头")),
    )),
    SalesRegion("northeast", "Northeast China", "东北", (
        ("辽宁", 3, ("沈阳", "大连")),
        ("吉林", 1.2, ("长春", "吉林")),
        ("黑龙江", 1.5, ("哈尔滨", "大庆")),
    )),
    SalesRegion("central", "Central China", "华中", (
        ("湖北", 5, ("武汉", "宜昌", "襄阳")),
        ("湖南", 4, ("长沙", "株洲")),
        ("河南", 5, ("郑州", "洛阳")),
        ("江西", 3, ("南昌", "赣州")),
    )),
    SalesRegion("south", "South China", "华南", (
        ("广东", 12, ("广州", "深圳", "东莞", "佛山", "珠海")),
        ("广西", 2, ("南宁", "柳州")),
        ("海南", 0.7, ("海口",)),
    )),
    SalesRegion("west", "West China", "西部", (
        ("四川", 5, ("成都", "绵阳")),
        ("重庆", 3, ("重庆",)),
        ("云南", 2, ("昆明",)),
        ("贵州", 2, ("贵阳",)),
        ("陕西", 3, ("西安", "宝鸡")),
        ("甘肃", 1, ("兰州",)),
        ("新疆", 1, ("乌鲁木齐",)),
        ("宁夏", 0.5, ("银川",)),
    )),
    SalesRegion("international", "International", "海外", ()),
)

# country -> (English name, [(state, city)], phone prefix, legal forms)
FOREIGN_MARKETS: dict[str, tuple[str, tuple[tuple[str, str], ...], str, tuple[str, ...]]] = {
    "US": ("United States", (("California", "San Jose"), ("Texas", "Houston"),
                             ("Michigan", "Detroit"), ("Illinois", "Chicago")),
           "+1", ("Inc.", "LLC", "Corp.")),
    "DE": ("Germany", (("Bavaria", "Munich"), ("Baden-Württemberg", "Stuttgart"),
                       ("North Rhine-Westphalia", "Düsseldorf")), "+49", ("GmbH", "AG")),
    "SG": ("Singapore", (("", "Singapore"),), "+65", ("Pte. Ltd.",)),
    "JP": ("Japan", (("Aichi", "Nagoya"), ("Osaka", "Osaka"), ("Kanagawa", "Yokohama")), "+81",
           ("Co., Ltd.", "K.K.")),
}
# fmt: on

# --- the sales organisation ----------------------------------------------------------


@dataclass(frozen=True)
class DemoTeam:
    name: str
    region: str
    manager: str
    members: tuple[str, ...]
    covers: tuple[str, ...]  # the sales regions whose accounts the team owns


# fmt: off
TEAMS = (
    DemoTeam("East China", "east", "manager1",
             ("am01", "am02", "am03", "am04", "am05"), ("east", "international")),
    DemoTeam("North China", "north", "manager2", ("am06", "am07", "am08"), ("north", "northeast")),
    DemoTeam("South & West China", "south", "manager3",
             ("am09", "am10", "am11", "am12"), ("south", "central", "west")),
)
# fmt: on


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    last_name: str
    first_name: str
    team: str | None = None
    region: str | None = None

    @property
    def email(self) -> str:
        return f"{self.username}@kam-demo.example"

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR


# fmt: off
# (surname, given name) of the director, the managers, the account managers, the analyst
# and the service staff
STAFF_NAMES = (
    ("周", "建国"), ("陈", "静"), ("王", "磊"), ("李", "娜"), ("张", "伟"), ("刘", "洋"),
    ("杨", "敏"), ("赵", "强"), ("黄", "丽"), ("吴", "杰"), ("徐", "涛"), ("孙", "婷"),
    ("马", "超"), ("朱", "霞"), ("胡", "鹏"), ("郭", "欣怡"), ("何", "俊杰"),
    ("林", "芳"), ("罗", "明"),
)
# fmt: on


def demo_users() -> list[DemoUser]:
    names = iter(STAFF_NAMES)
    users = [DemoUser("admin", Role.ADMINISTRATOR, "", "Admin")]
    users.append(DemoUser("director", Role.DIRECTOR, *next(names)))
    for team in TEAMS:
        users.append(
            DemoUser(team.manager, Role.SALES_MANAGER, *next(names), team.name, team.region)
        )
    for team in TEAMS:
        for username in team.members:
            users.append(
                DemoUser(username, Role.ACCOUNT_MANAGER, *next(names), team.name, team.region)
            )
    users.append(DemoUser("analyst", Role.ANALYST, *next(names)))
    for username in SERVICE_STAFF:
        users.append(DemoUser(username, Role.SERVICE_AGENT, *next(names)))
    return users


#: The customer-service department's staff (tickets of the accounts they serve).
SERVICE_STAFF = ("service1", "service2")
SERVICE_DEPARTMENT = ("customer-service", "Customer service", "客户服务部")


# --- names -------------------------------------------------------------------------

# fmt: off
TRADE_CHARS = (
    ("恒", "heng"), ("远", "yuan"), ("华", "hua"), ("盛", "sheng"), ("泰", "tai"), ("鑫", "xin"),
    ("宏", "hong"), ("达", "da"), ("瑞", "rui"), ("丰", "feng"), ("隆", "long"), ("安", "an"),
    ("康", "kang"), ("信", "xin"), ("诚", "cheng"), ("德", "de"), ("金", "jin"), ("海", "hai"),
    ("天", "tian"), ("新", "xin"), ("博", "bo"), ("通", "tong"), ("明", "ming"), ("永", "yong"),
    ("兴", "xing"), ("嘉", "jia"), ("宇", "yu"), ("辰", "chen"), ("正", "zheng"), ("凯", "kai"),
    ("腾", "teng"), ("创", "chuang"), ("联", "lian"), ("科", "ke"), ("源", "yuan"), ("立", "li"),
    ("润", "run"), ("晨", "chen"), ("峰", "feng"), ("鼎", "ding"), ("捷", "jie"), ("航", "hang"),
    ("力", "li"), ("光", "guang"), ("和", "he"), ("众", "zhong"), ("汇", "hui"), ("聚", "ju"),
    ("昌", "chang"), ("福", "fu"),
)
# Made-up foreign brands for foreign-invested and joint-venture companies.
FOREIGN_BRANDS_ZH = ("霍恩伯格", "艾森特", "诺瓦克", "贝尔蒙",
                     "卡尔森", "维斯特", "奥利安", "莱茵克")

S, P, F, J, C, U = (
    OwnershipType.STATE_OWNED, OwnershipType.PRIVATE, OwnershipType.FOREIGN_INVESTED,
    OwnershipType.JOINT_VENTURE, OwnershipType.COLLECTIVE, OwnershipType.PUBLIC_INSTITUTION,
)
# fmt: on


@dataclass(frozen=True)
class IndustryProfile:
    share: float  # weight among Chinese accounts
    words: tuple[str, ...]  # what goes in a company name: 江苏恒远[精密机械]有限公司
    ownership: dict[str, float]  # weights of the ownership types
    spend: float  # multiplier of the spend
    bundles: tuple[str, ...]  # the product bundles it buys
    english: tuple[str, ...] = ()  # name words abroad


# fmt: off
INDUSTRIES: dict[str, IndustryProfile] = {
    Industry.MANUFACTURING: IndustryProfile(
        22, ("精密机械", "重工", "装备制造", "电气", "自动化设备", "机床", "泵阀"),
        {P: 60, S: 15, F: 12, J: 8, C: 5}, 1.1, ("automation", "vision", "mes"),
        ("Precision Machinery", "Maschinenbau", "Engineering", "Seiki")),
    Industry.AUTOMOTIVE: IndustryProfile(
        8, ("汽车零部件", "汽车", "新能源汽车", "汽车电子", "车桥"),
        {P: 45, S: 20, J: 20, F: 15}, 1.3, ("automation", "vision", "mes"),
        ("Auto Parts", "Fahrzeugteile", "Motors")),
    Industry.CHEMICALS: IndustryProfile(
        7, ("化工", "新材料", "石化", "涂料", "精细化工"),
        {P: 50, S: 30, F: 10, J: 10}, 1.2, ("energy", "iot", "power"), ("Chemicals", "Chemie")),
    Industry.ENERGY: IndustryProfile(
        7, ("能源", "电力", "新能源", "燃气", "光伏科技"),
        {S: 65, P: 30, J: 5}, 1.4, ("energy", "iot", "power"), ("Energy Solutions", "Energie")),
    Industry.TELECOM: IndustryProfile(
        4, ("通信", "网络科技", "信息通信", "通信工程"),
        {S: 70, P: 25, J: 5}, 1.5, ("power", "iot"), ("Networks",)),
    Industry.FINANCE: IndustryProfile(
        6, ("农村商业银行", "证券", "保险代理", "融资租赁", "小额贷款"),
        {S: 55, P: 35, J: 10}, 1.0, ("power", "iot")),
    Industry.HEALTHCARE: IndustryProfile(
        8, ("医疗器械", "医药", "生物科技", "医疗科技"),
        {P: 60, S: 20, F: 15, J: 5}, 1.0, ("power", "iot", "vision"),
        ("Medical Systems", "Medizintechnik")),
    Industry.RETAIL: IndustryProfile(
        7, ("商贸", "百货", "连锁超市", "珠宝", "电器连锁"),
        {P: 75, S: 10, F: 10, C: 5}, 0.8, ("iot", "energy")),
    Industry.LOGISTICS: IndustryProfile(
        7, ("物流", "供应链管理", "航运", "快运", "港务"),
        {P: 55, S: 35, J: 10}, 1.0, ("iot", "automation", "energy"), ("Logistics", "Logistik")),
    Industry.CONSTRUCTION: IndustryProfile(
        7, ("建设工程", "建工", "置业", "建材", "路桥"),
        {S: 45, P: 50, C: 5}, 0.9, ("energy", "power")),
    Industry.IT: IndustryProfile(
        8, ("软件", "信息技术", "数据科技", "云计算", "智能科技"),
        {P: 80, S: 10, F: 10}, 0.9, ("power", "iot"), ("Data Systems", "Electronics", "Denki")),
    Industry.GOVERNMENT: IndustryProfile(4, (), {U: 100}, 0.8, ("power", "iot")),
    Industry.EDUCATION: IndustryProfile(4, (), {U: 85, P: 15}, 0.7, ("power", "iot", "mes")),
    Industry.FOOD: IndustryProfile(
        5, ("食品", "饮料", "乳业", "粮油", "调味品"),
        {P: 70, S: 15, F: 10, J: 5}, 0.9, ("automation", "iot", "energy"), ("Foods",)),
    Industry.AGRICULTURE: IndustryProfile(
        3, ("农业科技", "种业", "农牧", "生态农业"), {P: 55, C: 25, S: 20}, 0.6, ("iot", "energy")),
    Industry.OTHER: IndustryProfile(
        3, ("实业", "投资", "文化传媒", "环保科技"), {P: 80, S: 20}, 0.7, ("iot", "power"),
        ("Trading", "Shoji")),
}
# What a group calls the companies it sets up besides its core business.
GROUP_COMPANY_WORDS = ("科技", "贸易", "工程技术", "投资", "销售", "供应链管理")
GOVERNMENT_BODIES = ("大数据管理局", "交通运输局", "卫生健康委员会", "水务局", "应急管理局",
                     "生态环境局", "公共资源交易中心", "住房和城乡建设局")
SCHOOLS = ("职业技术学院", "理工大学", "科技大学", "第一中学", "医学院", "工程职业学院", "师范学院")
ENGLISH_STEMS = {
    "US": ("Northfield", "Lakeshore", "Summit", "Redwood", "Bayview", "Granite", "Ironbridge",
           "Pioneer", "Crescent", "Harbor"),
    "DE": ("Hoffmann", "Becker", "Krüger", "Wagner", "Schäfer", "Lindner", "Vogel", "Brandt"),
    "SG": ("Straits", "Merlion", "Lion City", "Harbourfront", "Orchard", "Keppel Bay"),
    "JP": ("Sakura", "Hikari", "Kaze", "Yamabuki", "Aoba", "Tsubasa"),
}

SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"), ("叶", "ye"),
    ("程", "cheng"), ("苏", "su"), ("魏", "wei"), ("吕", "lyu"), ("丁", "ding"), ("沈", "shen"),
)
GIVEN_NAMES = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("秀英", "xiuying"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
    ("秀兰", "xiulan"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂英", "guiying"),
    ("建华", "jianhua"), ("晓东", "xiaodong"), ("海燕", "haiyan"), ("志强", "zhiqiang"),
    ("婷", "ting"), ("鹏", "peng"), ("浩", "hao"), ("欣怡", "xinyi"), ("子涵", "zihan"),
    ("宇航", "yuhang"), ("佳琪", "jiaqi"), ("俊杰", "junjie"), ("文博", "wenbo"),
    ("雪梅", "xuemei"), ("国强", "guoqiang"), ("建国", "jianguo"), ("立新", "lixin"),
)
ENGLISH_NAMES = {
    "US": (("Miller", "John"), ("Johnson", "Emily"), ("Garcia", "Maria"), ("Brown", "David"),
           ("Davis", "Sarah"), ("Wilson", "Michael"), ("Clark", "Jennifer"), ("Lee", "Kevin")),
    "DE": (("Schmidt", "Anna"), ("Müller", "Thomas"), ("Weber", "Julia"), ("Fischer", "Markus"),
           ("Meyer", "Sabine"), ("Koch", "Stefan"), ("Richter", "Katrin")),
    "SG": (("Tan", "Wei Ming"), ("Lim", "Hui Ling"), ("Ng", "Kok Wah"), ("Wong", "Mei Lin"),
           ("Kumar", "Rajesh"), ("Goh", "Siew Lan")),
    "JP": (("Sato", "Yuki"), ("Suzuki", "Hiroshi"), ("Takahashi", "Aiko"), ("Tanaka", "Kenji"),
           ("Watanabe", "Naomi"), ("Ito", "Takeshi")),
}

# buying role -> [(title, department)], for companies, public bodies and English speakers
TITLES: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "company": {
        BuyingRole.ECONOMIC_BUYER: (("总经理", "总经办"), ("副总经理", "总经办"),
                                    ("董事长", "董事会"),
                                    ("财务总监", "财务部"), ("分管副总裁", "总经办")),
        BuyingRole.TECHNICAL_BUYER: (("技术总监", "技术部"), ("采购经理", "采购部"),
                                     ("信息中心主任", "信息中心"), ("总工程师", "技术部"),
                                     ("设备部部长", "设备部")),
        BuyingRole.USER_BUYER: (("生产部经理", "生产部"), ("车间主任", "生产部"),
                                ("运营经理", "运营部"), ("设备科科长", "设备部"),
                                ("质量经理", "质量部")),
        BuyingRole.COACH: (("项目经理", "项目部"), ("总经理助理", "总经办"), ("采购专员", "采购部"),
                           ("工程师", "技术部"), ("IT主管", "信息中心")),
        BuyingRole.NONE: (("行政主管", "行政部"), ("采购专员", "采购部"), ("工程师", "技术部"),
                          ("财务经理", "财务部"), ("法务经理", "法务部")),
    },
    "public": {
        BuyingRole.ECONOMIC_BUYER: (("局长", "局领导"), ("副局长", "局领导"), ("院长", "院领导"),
                                    ("校长", "校领导")),
        BuyingRole.TECHNICAL_BUYER: (("信息处处长", "信息处"), ("网络中心主任", "网络中心"),
                                     ("采购办主任", "采购办")),
        BuyingRole.USER_BUYER: (("科长", "业务科"), ("教务处处长", "教务处"),
                                ("后勤处处长", "后勤处")),
        BuyingRole.COACH: (("科员", "信息处"), ("工程师", "网络中心"), ("办公室主任", "办公室")),
        BuyingRole.NONE: (("科员", "办公室"), ("财务科科长", "财务科")),
    },
    "english": {
        BuyingRole.ECONOMIC_BUYER: (("CEO", "Management"), ("Managing Director", "Management"),
                                    ("CFO", "Finance"), ("VP Operations", "Management")),
        BuyingRole.TECHNICAL_BUYER: (("CTO", "Engineering"), ("Head of Engineering", "Engineering"),
                                     ("Procurement Manager", "Procurement")),
        BuyingRole.USER_BUYER: (("Plant Manager", "Operations"),
                                ("Operations Manager", "Operations"),
                                ("Maintenance Lead", "Maintenance")),
        BuyingRole.COACH: (("Project Engineer", "Engineering"), ("Project Manager", "Projects"),
                           ("Buyer", "Procurement")),
        BuyingRole.NONE: (("Office Manager", "Administration"), ("Controller", "Finance")),
    },
}
NOTES_SUPERIORS = ("深得总经理信任", "与上级在预算问题上有分歧",
                   "是董事长提拔的骨干", "直接向集团汇报")
NOTES_PEERS = ("与技术部关系紧密", "与采购部存在竞争", "在同级中威信高", "与财务部常有摩擦")
NOTES_SUBORDINATES = ("团队执行力强", "下属多为新人", "重视下属意见", "管理风格强势")
CONTACT_NOTES = ("偏好技术交流会", "关注投资回报周期", "曾在竞争对手处采购过同类产品",
                 "喜欢打羽毛球", "重视售后响应速度", "对价格较为敏感", "希望参观我们的样板工厂")
SITUATIONS = ("产能扩张期，新建两条产线", "行业整合中，正在压缩供应商数量",
              "数字化转型重点企业", "出口订单增长，海外工厂在建",
              "预算收紧，优先保障存量项目", "刚完成混改，采购流程调整中")
DECISIONS = ("技术部选型、采购部招标、总经理办公会决策", "集团统一采购，子公司提需求",
             "年度框架协议加单次询价", "公开招标，评分办法技术占六成")
NEEDS = ("设备联网与能耗监测", "产线自动化升级", "质量追溯系统", "备件库存优化", "远程运维服务")
# fmt: on

# --- what we sell --------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    name: str
    price: int  # list price per unit, CNY
    margin: float  # gross margin at list price


# fmt: off
PRODUCTS = {
    "gateway": Product("GW-300 工业物联网网关", 4800, 0.32),
    "plc": Product("C-200 PLC 控制器", 12500, 0.30),
    "servo": Product("SV-750 伺服电机", 3600, 0.24),
    "sensor": Product("TP-10 温压传感器套件", 860, 0.38),
    "vision": Product("VS-5 机器视觉相机", 18000, 0.35),
    "hmi": Product("HMI-15 触摸屏", 6200, 0.28),
    "ems": Product("EMS 能源管理软件许可", 60000, 0.78),
    "mes": Product("MES 制造执行系统许可", 150000, 0.75),
    "cloud": Product("云平台订阅（年）", 36000, 0.70),
    "install": Product("安装调试服务", 20000, 0.55),
    "support": Product("运维服务年费", 48000, 0.60),
    "spares": Product("SP 备件包", 2400, 0.40),
    "training": Product("培训服务", 8000, 0.65),
    "ups": Product("UPS-20 不间断电源", 22000, 0.22),
}
# Bundles are what accounts buy together: the raw material of association rules (MKT-2).
BUNDLES = {
    "automation": ("plc", "servo", "hmi", "install", "spares"),
    "iot": ("gateway", "sensor", "cloud", "training"),
    "vision": ("vision", "plc", "install"),
    "energy": ("ems", "sensor", "gateway", "support"),
    "mes": ("mes", "install", "support", "training"),
    "power": ("ups", "support", "spares"),
}
MONTH_SEASON = (1.0, 0.6, 1.0, 1.0, 1.0, 1.1, 0.9, 0.9, 1.05, 0.85, 1.1, 1.35)  # Feb: 春节
PAYMENT_TERMS = {"AAA": 90, "AA": 60, "A": 60, "BBB": 45, "BB": 30, "B": 30, "C": 0, "unrated": 30}
# rating -> (share of invoices paid late, mean days late of those, share disputed: settled
# only 60-240 days after the due date). Most invoices are paid within terms; late ones
# mostly within a few weeks. Nothing stays unpaid for ever: old disputes are settled (or
# written off, which also takes them out of the receivables).
PAYMENT_HABITS = {
    "AAA": (0.03, 7, 0.0), "AA": (0.05, 10, 0.001), "A": (0.07, 12, 0.002),
    "BBB": (0.10, 15, 0.003), "BB": (0.15, 20, 0.005), "B": (0.22, 25, 0.008),
    "C": (0.30, 30, 0.012), "unrated": (0.12, 15, 0.004),
}
# The credit limit covers the most the account has owed at once, with this headroom (a
# credit manager's review of its record); unrated accounts have no limit.
CREDIT_HEADROOM = {"AAA": 1.6, "AA": 1.5, "A": 1.4, "BBB": 1.3, "BB": 1.25, "B": 1.2, "C": 1.1}
MIN_CREDIT_LIMIT = 10_000
# Accounts sliding into payment trouble (RISK-2): over the last RISKY_DAYS they pay later
# and leave RISKY_UNPAID of their invoices unpaid.
RISKY_SHARE = {"AAA": 0.005, "AA": 0.01, "A": 0.015, "BBB": 0.03, "BB": 0.05, "B": 0.08,
               "C": 0.12, "unrated": 0.03}
RISKY_DAYS = 300
RISKY_UNPAID = 0.2
# fmt: on

# Spend per account is log-normal. A sigma of 1.68 alone would put 80% of it in the top 20%;
# order noise, lifecycles and prospects blur that, and 1.8 brings it back to about 80%.
SPEND_MEDIAN = 150_000
SPEND_SIGMA = 1.8

# --- the book --------------------------------------------------------------------------


@dataclass
class Plan:
    """One account as the generator imagines it, before it becomes file rows."""

    external_id: str
    name: str
    industry: str
    ownership: str
    country: str
    province: str
    city: str
    region: str
    level: str = HierarchyLevel.STANDALONE
    parent: str = ""
    slug: str = ""  # for the web domain and e-mail addresses
    english: bool = False
    weight: float = 0.0  # yearly spend at the as-of date, CNY
    lifecycle: str = "stable"  # how the generator drives its orders
    status: str = AccountStatus.ACTIVE  # what its orders make of it, as of the as-of date
    start: dt.date = AS_OF
    end: dt.date = AS_OF
    trend: float = 0.0
    rating: str = CreditRating.UNRATED
    risky: bool = False
    bundles: tuple[str, ...] = ()
    owner: str = ""
    revenue: float = 0.0
    recent_revenue: float = 0.0  # over the year up to the as-of date
    last_order: dt.date | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class DemoBook:
    seed: int
    as_of: dt.date
    accounts: list[Row]
    contacts: list[Row]
    orders: list[Row]
    payments: list[Row]
    team_members: list[tuple[str, str, str]]  # (account external id, username, TeamRole)
    users: list[DemoUser] = field(default_factory=demo_users)

    def revenue_by_account(self) -> dict[str, Decimal]:
        revenue = {row["external_id"]: Decimal(0) for row in self.accounts}
        for row in self.orders:
            revenue[row["account"]] += Decimal(row["amount"])
        return revenue

    def top_share(self, fraction: float = 0.2) -> float:
        """Share of revenue that the top `fraction` of accounts bring (all accounts count)."""
        return top_share(list(self.revenue_by_account().values()), fraction)


def top_share(values: Sequence[Decimal | float], fraction: float = 0.2) -> float:
    ranked = sorted((float(v) for v in values), reverse=True)
    total = sum(ranked)
    if not ranked or total <= 0:
        return 0.0
    top = max(1, round(len(ranked) * fraction))
    return sum(ranked[:top]) / total


def build_demo(
    *, seed: int = 42, as_of: dt.date = AS_OF, accounts: int = DEMO_ACCOUNTS
) -> DemoBook:
    """The whole demo book, the same for the same seed, as-of date and size."""
    rng = random.Random(seed)
    plans = plan_accounts(rng, accounts, as_of)
    assign_owners(rng, plans)
    orders = [order for plan in plans for order in plan_orders(rng, plan, as_of)]
    orders.sort(key=lambda o: (o.date, o.account))
    order_rows = number_orders(orders)
    by_id = {p.external_id: p for p in plans}
    payment_rows = plan_payments(rng, orders, by_id, as_of)
    limits = credit_limits(payment_rows, orders, by_id, as_of)
    settle_status(plans, orders, as_of)
    ranks = rank_by_revenue(plans)
    tag_accounts(rng, plans, ranks, as_of)
    contacts = plan_contacts(rng, plans, coverage_ranks(plans))
    return DemoBook(
        seed=seed,
        as_of=as_of,
        accounts=[
            account_row(rng, plan, ranks[plan.external_id], limits[plan.external_id])
            for plan in plans
        ],
        contacts=contacts,
        orders=order_rows,
        payments=payment_rows,
        team_members=plan_account_teams(plans, ranks),
    )


# --- accounts --------------------------------------------------------------------------


def weighted(rng: random.Random, options: dict[T, float]) -> T:
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


class Names:
    """Company names that never collide under the import's duplicate check."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[str] = set()

    def claim(self, name: str) -> bool:
        key = normalise_company_name(name)
        if key in self.taken:
            return False
        self.taken.add(key)
        return True

    def trade(self) -> tuple[str, str]:
        first, second = self.rng.sample(TRADE_CHARS, 2)
        return first[0] + second[0], first[1] + second[1]

    def unique(self, make: Callable[[], tuple[str, T]]) -> tuple[str, T]:
        """The first (name, extra) from `make` whose name is not taken yet."""
        for _ in range(500):
            name, extra = make()
            if self.claim(name):
                return name, extra
        raise RuntimeError("ran out of distinct company names")  # pragma: no cover

    def company(self, province: str, city: str, industry: str, ownership: str) -> tuple[str, str]:
        """(name, slug) of a Chinese company, e.g. 江苏恒远精密机械有限公司."""
        return self.unique(lambda: self._company_once(province, city, industry, ownership))

    def _company_once(
        self, province: str, city: str, industry: str, ownership: str
    ) -> tuple[str, str]:
        rng = self.rng
        if industry == Industry.GOVERNMENT:
            return f"{city}市{rng.choice(GOVERNMENT_BODIES)}", ""
        if industry == Industry.EDUCATION and ownership == OwnershipType.PUBLIC_INSTITUTION:
            return f"{city}{rng.choice(SCHOOLS)}", ""
        trade, slug = self.trade()
        words = INDUSTRIES[industry].words or ("教育科技",)
        word = rng.choice(words)
        form = "股份有限公司" if word.endswith("银行") or rng.random() < 0.15 else "有限公司"
        if ownership == OwnershipType.FOREIGN_INVESTED:
            return f"{rng.choice(FOREIGN_BRANDS_ZH)}{word}（{city}）有限公司", slug
        if ownership == OwnershipType.JOINT_VENTURE:
            return f"{city}{trade}{rng.choice(FOREIGN_BRANDS_ZH)}{word}{form}", slug
        prefix = rng.choice((province, city, "")) if province != city else city
        return f"{prefix}{trade}{word}{form}", slug

    def english(self, country: str, industry: str) -> tuple[str, str]:
        """(name, slug) of a company abroad, e.g. Hoffmann Maschinenbau GmbH."""
        return self.unique(lambda: self._english_once(country, industry))

    def _english_once(self, country: str, industry: str) -> tuple[str, str]:
        rng = self.rng
        stem = rng.choice(ENGLISH_STEMS[country])
        noun = rng.choice(INDUSTRIES[industry].english or ("Trading",))
        slug = stem.lower().replace(" ", "").replace("ü", "ue").replace("ä", "ae")
        return f"{stem} {noun} {rng.choice(FOREIGN_MARKETS[country][3])}", slug


def chinese_provinces() -> list[tuple[str, str, float, tuple[str, ...]]]:
    return [(r.code, prov, weight, cities) for r in REGIONS for prov, weight, cities in r.provinces]


def pick_place(rng: random.Random) -> tuple[str, str, str]:
    """(sales region, province, city) weighted by economic size."""
    places = chinese_provinces()
    region, province, _, cities = rng.choices(places, weights=[p[2] for p in places])[0]
    return region, province, rng.choice(cities)


def pick_industry(rng: random.Random) -> str:
    return weighted(rng, {name: profile.share for name, profile in INDUSTRIES.items()})


def plan_accounts(rng: random.Random, count: int, as_of: dt.date) -> list[Plan]:
    names = Names(rng)
    ids = (f"C{n:05d}" for n in itertools.count(10001))
    plans: list[Plan] = []
    in_groups = round(count * 0.2)
    while len(plans) < in_groups:
        plans.extend(plan_group(rng, names, ids, in_groups - len(plans)))
    international = round(count * 0.04)
    for _ in range(international):
        plans.append(plan_foreign(rng, names, next(ids)))
    while len(plans) < count:
        plans.append(plan_standalone(rng, names, next(ids)))
    for plan in plans:
        plan_commerce(rng, plan, as_of)
    return plans


def plan_standalone(rng: random.Random, names: Names, ext: str) -> Plan:
    region, province, city = pick_place(rng)
    industry = pick_industry(rng)
    ownership = weighted(rng, INDUSTRIES[industry].ownership)
    name, slug = names.company(province, city, industry, ownership)
    return Plan(ext, name, industry, ownership, "CN", province, city, region, slug=slug)


def plan_foreign(rng: random.Random, names: Names, ext: str) -> Plan:
    country = rng.choice(sorted(FOREIGN_MARKETS))
    state, city = rng.choice(FOREIGN_MARKETS[country][1])
    industry = rng.choice([i for i, p in INDUSTRIES.items() if p.english])
    name, slug = names.english(country, industry)
    return Plan(
        ext,
        name,
        industry,
        OwnershipType.PRIVATE,
        country,
        state,
        city,
        "international",
        slug=slug,
        english=True,
    )


def plan_group(rng: random.Random, names: Names, ids: Iterator[str], room: int) -> list[Plan]:
    """A group headquarters with subsidiaries, some with branches; at most `room` accounts."""
    region, province, city = pick_place(rng)
    industry = rng.choice([i for i, p in INDUSTRIES.items() if p.words])
    ownership = weighted(rng, {S: 50, P: 50})
    national = rng.random() < 0.35
    prefix = "中国" if national and ownership == S else province

    def head_name() -> tuple[str, tuple[str, str]]:
        trade, slug = names.trade()
        return f"{prefix}{trade}集团有限公司", (trade, slug)

    head, (trade, slug) = names.unique(head_name)
    group = Plan(
        next(ids),
        head,
        industry,
        ownership,
        "CN",
        province,
        city,
        region,
        level=HierarchyLevel.GROUP,
        slug=slug,
    )
    members = [group]
    for _ in range(rng.randint(2, 7)):
        if len(members) >= room:
            break
        members.append(plan_subsidiary(rng, names, next(ids), group, trade, national))
    subsidiaries = [m for m in members if m.level == HierarchyLevel.SUBSIDIARY]
    for subsidiary in subsidiaries:
        for _ in range(rng.choice((0, 0, 0, 1, 2, 3))):
            if len(members) >= room or subsidiary.country != "CN":
                break
            members.append(plan_branch(rng, names, next(ids), subsidiary))
    return members


def plan_subsidiary(
    rng: random.Random, names: Names, ext: str, group: Plan, trade: str, national: bool
) -> Plan:
    if national and rng.random() < 0.08:
        return plan_overseas_subsidiary(rng, names, ext, group)
    words = INDUSTRIES[group.industry].words + GROUP_COMPANY_WORDS

    def subsidiary_name() -> tuple[str, tuple[str, str, str]]:
        region, province, city = (
            pick_place(rng)
            if national
            else (group.region, group.province, rng.choice(province_cities(group.province)))
        )
        prefix = rng.choice((province, city))
        return f"{prefix}{trade}{rng.choice(words)}有限公司", (region, province, city)

    name, (region, province, city) = names.unique(subsidiary_name)
    return Plan(
        ext,
        name,
        group.industry,
        group.ownership,
        "CN",
        province,
        city,
        region,
        level=HierarchyLevel.SUBSIDIARY,
        parent=group.external_id,
        slug=group.slug,
    )


def plan_overseas_subsidiary(rng: random.Random, names: Names, ext: str, group: Plan) -> Plan:
    """A national group's company abroad, e.g. Hengyuan Engineering Munich GmbH."""
    nouns = INDUSTRIES[group.industry].english or ("Trading",)

    def overseas_name() -> tuple[str, tuple[str, str, str]]:
        country = rng.choice(sorted(FOREIGN_MARKETS))
        _, places, _, forms = FOREIGN_MARKETS[country]
        state, city = rng.choice(places)
        name = f"{group.slug.title()} {rng.choice(nouns)} {city} {forms[0]}"
        return name, (country, state, city)

    name, (country, state, city) = names.unique(overseas_name)
    return Plan(
        ext,
        name,
        group.industry,
        OwnershipType.PRIVATE,
        country,
        state,
        city,
        "international",
        level=HierarchyLevel.SUBSIDIARY,
        parent=group.external_id,
        slug=group.slug,
        english=True,
    )


def plan_branch(rng: random.Random, names: Names, ext: str, subsidiary: Plan) -> Plan:
    def branch_name() -> tuple[str, tuple[str, str, str]]:
        place = pick_place(rng)
        return f"{subsidiary.name}{place[2]}分公司", place

    name, (region, province, city) = names.unique(branch_name)
    return Plan(
        ext,
        name,
        subsidiary.industry,
        subsidiary.ownership,
        "CN",
        province,
        city,
        region,
        level=HierarchyLevel.BRANCH,
        parent=subsidiary.external_id,
        slug=subsidiary.slug,
    )


def province_cities(province: str) -> tuple[str, ...]:
    for _, prov, _, cities in chinese_provinces():
        if prov == province:
            return cities
    return (province,)


LEVEL_SPEND: dict[str, float] = {
    HierarchyLevel.GROUP: 3.0,
    HierarchyLevel.SUBSIDIARY: 1.6,
    HierarchyLevel.BRANCH: 0.6,
    HierarchyLevel.STANDALONE: 1.0,
}


def plan_commerce(rng: random.Random, plan: Plan, as_of: dt.date) -> None:
    """Spend, lifecycle, trend, credit rating and what the account buys."""
    profile = INDUSTRIES[plan.industry]
    plan.weight = (
        math.exp(rng.gauss(math.log(SPEND_MEDIAN), SPEND_SIGMA))
        * profile.spend
        * LEVEL_SPEND[plan.level]
    )
    window_start = history_start(as_of)
    plan.lifecycle = weighted(
        rng, {"prospect": 5, "lost": 6, "dormant": 7, "declining": 12, "growing": 20, "stable": 50}
    )
    plan.trend = {"declining": -0.25, "growing": 0.3}.get(plan.lifecycle, rng.gauss(0.05, 0.08))
    days = (as_of - window_start).days
    new_customer = plan.lifecycle == "growing" and rng.random() < 0.6
    plan.start = window_start + dt.timedelta(days=rng.randrange(days - 60) if new_customer else 0)
    if plan.lifecycle == "lost":
        plan.end = as_of - dt.timedelta(days=rng.randint(400, 800))
    elif plan.lifecycle == "dormant":
        plan.end = as_of - dt.timedelta(days=rng.randint(200, 360))
    else:
        plan.end = as_of
    plan.rating = pick_rating(rng, plan)
    plan.risky = rng.random() < RISKY_SHARE[plan.rating]
    bundles = list(profile.bundles)
    rng.shuffle(bundles)
    plan.bundles = tuple(bundles[: rng.choice((1, 1, 2, 2, 3))])


def pick_rating(rng: random.Random, plan: Plan) -> str:
    if plan.lifecycle == "prospect" and rng.random() < 0.5:
        return CreditRating.UNRATED
    if plan.ownership in {OwnershipType.STATE_OWNED, OwnershipType.PUBLIC_INSTITUTION}:
        weights = (10, 20, 30, 25, 10, 4, 1, 2)
    else:
        weights = (3, 9, 21, 28, 19, 9, 4, 7)
    return rng.choices(list(CreditRating.values), weights=weights)[0]


def history_start(as_of: dt.date) -> dt.date:
    return as_of.replace(year=as_of.year - HISTORY_YEARS) + dt.timedelta(days=1)


def assign_owners(rng: random.Random, plans: list[Plan]) -> None:
    """Each account to an account manager of the team covering its region.

    Seniority weights make portfolios uneven, as they are in real teams; a group's
    members in the same team stay with the group's owner (one face to the customer).
    """
    team_of = {region: team for team in TEAMS for region in team.covers}
    capacity = {am: rng.uniform(0.6, 1.4) for team in TEAMS for am in team.members}
    owner_of: dict[str, str] = {}
    for plan in plans:
        team = team_of[plan.region]
        parent_owner = owner_of.get(plan.parent)
        if parent_owner in team.members:
            plan.owner = parent_owner
        else:
            plan.owner = weighted(rng, {am: capacity[am] for am in team.members})
        owner_of[plan.external_id] = plan.owner


# --- orders and payments ---------------------------------------------------------------


@dataclass
class OrderDraft:
    account: str
    date: dt.date
    product: str
    quantity: int
    discount: float
    amount: float
    margin: float
    credit_note: bool = False
    external_id: str = ""


def order_frequency(weight: float) -> float:
    """Orders a year: big accounts order often, small ones a few times a year."""
    return min(40.0, 3 + 6 * math.log10(1 + weight / 100_000))


#: How regularly accounts reorder: the shape of the gamma-distributed gaps between orders
#: (1 would be a Poisson process; 2-4 are B2B replenishment, whose gaps vary by 50-70%
#: around their mean, so that a gap three times the usual one is the exception it is in
#: real books, RISK-5). Each account gets one.
REORDER_REGULARITY = (2.0, 3.0, 4.0)


def plan_orders(rng: random.Random, plan: Plan, as_of: dt.date) -> list[OrderDraft]:
    if plan.lifecycle == "prospect":
        return []
    frequency = order_frequency(plan.weight)
    base_discount = min(0.12, 0.03 * math.log10(max(plan.weight, 100_000) / 100_000) + 0.01)
    shape = rng.choice(REORDER_REGULARITY)
    mean_gap = 365 / frequency
    drafts: list[OrderDraft] = []
    day = plan.start + dt.timedelta(days=rng.randrange(20))
    while day <= plan.end:
        if day.month != 2 or rng.random() > 0.4:  # fewer orders around the Spring Festival
            drafts.extend(order_lines(rng, plan, day, frequency, base_discount, as_of))
        day += dt.timedelta(days=max(1, round(rng.gammavariate(shape, mean_gap / shape))))
    return drafts


def order_lines(
    rng: random.Random,
    plan: Plan,
    day: dt.date,
    frequency: float,
    base_discount: float,
    as_of: dt.date,
) -> list[OrderDraft]:
    years_back = (as_of - day).days / 365
    target = (
        plan.weight
        / frequency
        * (1 + plan.trend) ** -years_back
        * MONTH_SEASON[day.month - 1]
        * rng.lognormvariate(0, 0.45)
    )
    key = pick_product(rng, plan)
    product = PRODUCTS[key]
    quantity = max(1, round(target / product.price))
    discount = pick_discount(rng, base_discount)
    amount = round(quantity * product.price * (1 - discount), 2)
    cost = quantity * product.price * (1 - product.margin)
    order = OrderDraft(
        plan.external_id, day, product.name, quantity, discount, amount, round(amount - cost, 2)
    )
    lines = [order]
    returned = day + dt.timedelta(days=rng.randint(7, 45))
    if rng.random() < 0.006 and returned <= as_of:
        back = max(1, round(quantity * rng.uniform(0.1, 1)))
        refund = round(back * product.price * (1 - discount), 2)
        lines.append(
            OrderDraft(
                plan.external_id,
                returned,
                product.name,
                -back,
                discount,
                -refund,
                -round(refund - back * product.price * (1 - product.margin), 2),
                credit_note=True,
            )
        )
    return lines


def pick_product(rng: random.Random, plan: Plan) -> str:
    items = BUNDLES[rng.choice(plan.bundles)]
    # The first item of a bundle is what it is built around, so it sells most.
    return rng.choices(items, weights=[3, *([1] * (len(items) - 1))])[0]


def pick_discount(rng: random.Random, base: float) -> float:
    roll = rng.random()
    if roll < 0.004:  # the odd deal far outside policy (RISK-5)
        return round(rng.uniform(0.3, 0.45), 3)
    if roll < 0.45:
        return 0.0
    return round(min(0.2, max(0.0, base + rng.gauss(0, 0.015))) * 200) / 200


def number_orders(orders: list[OrderDraft]) -> list[Row]:
    rows: list[Row] = []
    sales = itertools.count(1)
    notes = itertools.count(1)
    for order in orders:
        order.external_id = f"CN{next(notes):06d}" if order.credit_note else f"SO{next(sales):07d}"
        rows.append(
            {
                "external_id": order.external_id,
                "account": order.account,
                "order_date": order.date.isoformat(),
                "amount": f"{order.amount:.2f}",
                "product": order.product,
                "quantity": str(order.quantity),
                "margin": f"{order.margin:.2f}",
                "discount_rate": f"{order.discount:.4f}" if order.discount else "",
            }
        )
    return rows


def invoice_parts(order: OrderDraft, plan: Plan) -> list[tuple[float, int]]:
    """(amount, days to pay) of each receivable of an order: one, or for big orders an
    advance due in 15 days and the balance on the account's terms."""
    terms = PAYMENT_TERMS[plan.rating]
    if order.amount > 1_000_000:
        advance = round(order.amount * 0.3, 2)
        return [(advance, 15), (round(order.amount - advance, 2), terms)]
    return [(order.amount, terms)]


def plan_payments(
    rng: random.Random, orders: list[OrderDraft], plans: dict[str, Plan], as_of: dt.date
) -> list[Row]:
    """One receivable per invoice (two for big ones: an advance and the balance)."""
    rows: list[Row] = []
    numbers = itertools.count(1)
    for order in orders:
        if order.credit_note:
            continue
        plan = plans[order.account]
        for amount, days in invoice_parts(order, plan):
            due = order.date + dt.timedelta(days=days)
            paid = settle(rng, plan, due, as_of)
            rows.append(
                {
                    "external_id": f"AR{next(numbers):07d}",
                    "account": order.account,
                    "order": order.external_id,
                    "due_date": due.isoformat(),
                    "paid_date": paid.isoformat() if paid else "",
                    "amount": f"{amount:.2f}",
                }
            )
    return rows


def settle(rng: random.Random, plan: Plan, due: dt.date, as_of: dt.date) -> dt.date | None:
    """When the customer paid (None: not by the as-of date): mostly within terms, some a
    few weeks late, a few disputed for months; accounts sliding into trouble leave some
    invoices unpaid."""
    late_share, mean_late, disputed_share = PAYMENT_HABITS[plan.rating]
    unpaid_share = 0.0
    if plan.risky and (as_of - due).days < RISKY_DAYS:  # sliding into trouble (RISK-2)
        late_share, mean_late = min(0.8, late_share * 3), mean_late * 3
        unpaid_share = RISKY_UNPAID
    roll = rng.random()
    if roll < unpaid_share:
        return None
    roll -= unpaid_share
    if roll < disputed_share:
        paid = due + dt.timedelta(days=rng.randint(60, 240))
    elif roll < disputed_share + late_share:
        paid = due + dt.timedelta(days=1 + int(rng.expovariate(1 / mean_late)))
    else:
        paid = due - dt.timedelta(days=rng.randint(0, 10))
    return paid if paid <= as_of else None


def credit_limits(
    payments: list[Row], orders: list[OrderDraft], plans: dict[str, Plan], as_of: dt.date
) -> dict[str, str]:
    """Each rated account's credit limit, as a credit manager sets it from the account's
    record: the most it has owed at once (from invoice to payment), with its rating's
    headroom, rounded up to 10,000 (at least MIN_CREDIT_LIMIT); empty for unrated accounts.
    The invoices of an account's recent trouble are not part of that record, so those are
    what can take it over its limit."""
    issued = {order.external_id: order.date for order in orders}
    changes: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    for row in payments:
        plan = plans[row["account"]]
        due = dt.date.fromisoformat(row["due_date"])
        if plan.risky and (as_of - due).days < RISKY_DAYS:
            continue
        amount = float(row["amount"])
        paid = dt.date.fromisoformat(row["paid_date"]) if row["paid_date"] else as_of
        changes[row["account"]].append((issued[row["order"]], amount))
        changes[row["account"]].append((max(paid, issued[row["order"]]), -amount))
    limits: dict[str, str] = {}
    for ext, plan in plans.items():
        headroom = CREDIT_HEADROOM.get(plan.rating)
        if headroom is None:
            limits[ext] = ""
            continue
        owed = peak = 0.0
        for _, amount in sorted(changes.get(ext, []), key=lambda c: (c[0], c[1])):
            owed += amount  # on the same day, what is paid goes before what is invoiced
            peak = max(peak, owed)
        limit = max(MIN_CREDIT_LIMIT, math.ceil(peak * headroom / 10_000) * 10_000)
        limits[ext] = f"{limit:.2f}"
    return limits


def settle_status(plans: list[Plan], orders: list[OrderDraft], as_of: dt.date) -> None:
    """Revenue, last order and the status that follows from them."""
    index = {plan.external_id: plan for plan in plans}
    year_ago = as_of - dt.timedelta(days=365)
    for order in orders:
        plan = index[order.account]
        plan.revenue += order.amount
        if order.date > year_ago:
            plan.recent_revenue += order.amount
        if not order.credit_note and (plan.last_order is None or order.date > plan.last_order):
            plan.last_order = order.date
    for plan in plans:
        plan.status = status_now(plan, as_of)


def status_now(plan: Plan, as_of: dt.date) -> str:
    if plan.last_order is None:
        return AccountStatus.PROSPECT
    idle = (as_of - plan.last_order).days
    if idle > 365 and plan.lifecycle == "lost":
        return AccountStatus.LOST
    if idle > 180:
        return AccountStatus.DORMANT
    return AccountStatus.ACTIVE


def rank_by_revenue(plans: list[Plan]) -> dict[str, float]:
    """Each account's place in the revenue ranking: 0.0 is the biggest, 1.0 the smallest."""
    ordered = sorted(plans, key=lambda p: (-p.revenue, p.external_id))
    return {plan.external_id: n / len(plans) for n, plan in enumerate(ordered)}


# --- account rows --------------------------------------------------------------------


def tag_accounts(
    rng: random.Random, plans: list[Plan], ranks: dict[str, float], as_of: dt.date
) -> None:
    for plan in plans:
        rank = ranks[plan.external_id]
        tags = plan.tags
        if rank < 0.02:
            tags.append("战略客户")
        if rank < 0.2 and rng.random() < 0.5:
            tags.append("年度框架协议")
        if plan.level != HierarchyLevel.STANDALONE:
            tags.append("集团客户")
        public = plan.ownership in {OwnershipType.STATE_OWNED, OwnershipType.PUBLIC_INSTITUTION}
        if public and rng.random() < 0.6:
            tags.append("招投标采购")
        if plan.english:
            tags.append("海外市场")
        if plan.start > history_start(as_of) + dt.timedelta(days=30):
            tags.append("新客户")
        if (
            plan.ownership == OwnershipType.PRIVATE
            and plan.industry in {Industry.MANUFACTURING, Industry.AUTOMOTIVE}
            and rng.random() < 0.15
        ):
            tags.append("专精特新")
        if rank > 0.5 and rng.random() < 0.2:
            tags.append("价格敏感")


def account_row(rng: random.Random, plan: Plan, rank: float, credit_limit: str) -> Row:
    public = plan.industry in {Industry.GOVERNMENT, Industry.EDUCATION} and not plan.slug
    revenue = 0.0 if public else plan.weight / rng.uniform(0.003, 0.03)
    employees = rng.randint(60, 3000) if public else max(8, round(revenue / rng.uniform(6e5, 2e6)))
    key_account = rank < 0.2
    domain = website_of(plan)
    return {
        "external_id": plan.external_id,
        "name": plan.name,
        "industry": plan.industry,
        "employees": str(employees),
        "annual_revenue": f"{round(revenue, -4):.2f}" if revenue else "",
        "country": plan.country,
        "province": plan.province,
        "city": plan.city,
        "region": plan.region,
        "ownership_type": plan.ownership,
        "credit_rating": plan.rating,
        "credit_limit": credit_limit,
        "status": plan.status,
        "tags": "; ".join(sorted(plan.tags)),
        "parent": plan.parent,
        "hierarchy_level": plan.level,
        "owner": plan.owner,
        "website": f"www.{domain}" if domain else "",
        "business_situation": rng.choice(SITUATIONS) if key_account else "",
        "decision_process": rng.choice(DECISIONS) if key_account else "",
        "latent_needs": rng.choice(NEEDS) if key_account or rng.random() < 0.1 else "",
        "notes": "",
    }


def website_of(plan: Plan) -> str:
    if not plan.slug:
        return ""
    if plan.english:
        tld = {"US": "com", "DE": "de", "SG": "com.sg", "JP": "co.jp"}[plan.country]
        return f"{plan.slug}.{tld}"
    return f"{plan.slug}.com.cn"


def plan_account_teams(plans: list[Plan], ranks: dict[str, float]) -> list[tuple[str, str, str]]:
    """Colleagues beside the owner: a technical teammate on the top accounts, the manager
    as executive sponsor on the very top, the group's owner on subsidiaries owned elsewhere."""
    team_of = {am: team for team in TEAMS for am in team.members}
    owners = {p.external_id: p.owner for p in plans}
    members: list[tuple[str, str, str]] = []
    for plan in plans:
        rank = ranks[plan.external_id]
        team = team_of[plan.owner]
        chosen: dict[str, str] = {}
        if rank < 0.1:
            others = [am for am in team.members if am != plan.owner]
            chosen[others[int(rank * 1000) % len(others)]] = TeamRole.TECHNICAL
        if rank < 0.02:
            chosen[team.manager] = TeamRole.EXECUTIVE
        group_owner = owners.get(plan.parent)
        if group_owner and group_owner != plan.owner:
            chosen.setdefault(group_owner, TeamRole.SALES)
        members.extend((plan.external_id, user, role) for user, role in sorted(chosen.items()))
    return members


# --- contacts --------------------------------------------------------------------------


def contact_count(rng: random.Random, plan: Plan, rank: float) -> int:
    """Key accounts: a buying centre of four to eight people; mid-sized ones two to four;
    small ones and prospects most often the one buyer."""
    if plan.status == AccountStatus.PROSPECT:
        return rng.choice((1, 1, 2))
    if rank < 0.02:
        return rng.randint(6, 8)
    if rank < 0.2:
        return rng.randint(4, 6)
    if rank < 0.5:
        return rng.choice((2, 3, 3, 4))
    return rng.choice((1, 1, 2))


def coverage_ranks(plans: list[Plan]) -> dict[str, float]:
    """How much the sales team invests in each account's buying centre: the better of its
    place by revenue over the history and by revenue over the last year (0.0 the first),
    so a newly won account that already buys a lot is covered like an old key account."""
    overall = rank_by_revenue(plans)
    ordered = sorted(plans, key=lambda p: (-p.recent_revenue, p.external_id))
    recent = {plan.external_id: n / len(plans) for n, plan in enumerate(ordered)}
    return {ext: min(rank, recent[ext]) for ext, rank in overall.items()}


def buying_roles(rng: random.Random, count: int) -> list[str]:
    """The buying centre: all four roles on key accounts (with the gaps real books have)."""
    if count >= 4:
        roles: list[str] = [
            BuyingRole.ECONOMIC_BUYER,
            BuyingRole.TECHNICAL_BUYER,
            BuyingRole.USER_BUYER,
            BuyingRole.COACH,
        ]
        if rng.random() < 0.08:  # no coach: a red flag the relationship map should show
            roles[3] = BuyingRole.NONE
        extra = (BuyingRole.USER_BUYER, BuyingRole.TECHNICAL_BUYER, BuyingRole.NONE)
        return roles + [rng.choice(extra) for _ in range(count - 4)]
    first: str = weighted(
        rng, {BuyingRole.ECONOMIC_BUYER: 4, BuyingRole.USER_BUYER: 3, BuyingRole.TECHNICAL_BUYER: 3}
    )
    rest: list[str] = [
        BuyingRole.COACH,
        BuyingRole.USER_BUYER,
        BuyingRole.TECHNICAL_BUYER,
        BuyingRole.NONE,
    ]
    return [first] + [rng.choice([r for r in rest if r != first]) for _ in range(count - 1)]


def boss_index(roles: list[str], index: int) -> int | None:
    """Whom contact `index` reports to: the economic buyer heads the chart."""
    if index == 0:
        return None
    if len(roles) < 4 or index < 3:
        return 0  # small accounts: everyone reports to the first contact
    return 1 + index % 2  # the coach and the rest: under the technical or the user buyer


INFLUENCE: dict[str, dict[str, float]] = {
    BuyingRole.ECONOMIC_BUYER: {Influence.HIGH: 1.0},
    BuyingRole.TECHNICAL_BUYER: {Influence.HIGH: 5, Influence.MEDIUM: 5},
    BuyingRole.USER_BUYER: {Influence.HIGH: 2, Influence.MEDIUM: 7, Influence.LOW: 1},
    BuyingRole.COACH: {Influence.MEDIUM: 6, Influence.LOW: 4},
    BuyingRole.NONE: {Influence.MEDIUM: 3, Influence.LOW: 7},
}
FAMILIARITY: dict[str, tuple[int, int]] = {
    BuyingRole.ECONOMIC_BUYER: (0, 3),
    BuyingRole.TECHNICAL_BUYER: (1, 4),
    BuyingRole.USER_BUYER: (1, 4),
    BuyingRole.COACH: (3, 5),
    BuyingRole.NONE: (0, 2),
}


STANCES: dict[str, dict[str, float]] = {
    BuyingRole.COACH: {Stance.SUPPORTER: 9, Stance.NEUTRAL: 1},
    # An economic buyer against a supplier the account keeps buying from is rare.
    BuyingRole.ECONOMIC_BUYER: {
        Stance.SUPPORTER: 50,
        Stance.NEUTRAL: 36,
        Stance.OPPONENT: 4,
        Stance.UNKNOWN: 10,
    },
    BuyingRole.NONE: {
        Stance.SUPPORTER: 45,
        Stance.NEUTRAL: 35,
        Stance.OPPONENT: 8,
        Stance.UNKNOWN: 12,
    },
}


def plan_contacts(rng: random.Random, plans: list[Plan], ranks: dict[str, float]) -> list[Row]:
    rows: list[Row] = []
    ids = (f"P{n:06d}" for n in itertools.count(100001))
    team_of = {am: team for team in TEAMS for am in team.members}
    for plan in plans:
        rank = ranks[plan.external_id]
        roles = buying_roles(rng, contact_count(rng, plan, rank))
        account_ids = [next(ids) for _ in roles]
        for index, role in enumerate(roles):
            boss = boss_index(roles, index)
            counterpart = plan.owner
            if role == BuyingRole.ECONOMIC_BUYER and rank < 0.02:
                counterpart = team_of[plan.owner].manager
            row = contact_row(rng, plan, role, rank)
            row["external_id"] = account_ids[index]
            row["reports_to"] = account_ids[boss] if boss is not None else ""
            row["our_counterpart"] = counterpart
            rows.append(row)
    return rows


def contact_row(rng: random.Random, plan: Plan, role: str, rank: float) -> Row:
    name, email = person(rng, plan)
    style = "english" if plan.english else "public" if not plan.slug else "company"
    title, department = rng.choice(TITLES[style][role])
    low, high = FAMILIARITY[role]
    if role == BuyingRole.ECONOMIC_BUYER and rank < 0.2:
        # Key accounts: the decision maker is met, except now and then (RISK-4).
        familiarity = 0 if rng.random() < 0.07 else rng.randint(max(low, 1), high + 1)
    else:
        familiarity = rng.randint(low, high)
    stance = weighted(rng, STANCES.get(role, STANCES[BuyingRole.NONE]))
    key = rank < 0.2 and not plan.english
    return {
        "account": plan.external_id,
        "name": name,
        "title": title,
        "department": department,
        "email": email,
        "phone": phone(rng, plan),
        "buying_role": role,
        "influence": weighted(rng, INFLUENCE[role]),
        "stance": stance,
        "familiarity": str(familiarity),
        "is_active": "false" if rng.random() < 0.03 else "true",
        "notes_superiors": rng.choice(NOTES_SUPERIORS) if key and rng.random() < 0.5 else "",
        "notes_peers": rng.choice(NOTES_PEERS) if key and rng.random() < 0.4 else "",
        "notes_subordinates": rng.choice(NOTES_SUBORDINATES) if key and rng.random() < 0.3 else "",
        "notes": rng.choice(CONTACT_NOTES) if rng.random() < 0.3 else "",
    }


def person(rng: random.Random, plan: Plan) -> tuple[str, str]:
    """(name, e-mail) of someone working at the account."""
    if plan.english:
        people = ENGLISH_NAMES[plan.country]
        last, first = rng.choice(people)[0], rng.choice(people)[1]  # mixed: fewer namesakes
        local = f"{first.split()[0]}.{last}".lower().replace("ü", "ue")
        return f"{first} {last}", f"{local}@{website_of(plan)}"
    (surname, surname_py), (given, given_py) = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
    if not plan.slug:  # public bodies: people write from personal mailboxes
        return surname + given, f"{surname_py}{given_py}{rng.randint(1, 999)}@163.com"
    return surname + given, f"{given_py}.{surname_py}@{website_of(plan)}"


def phone(rng: random.Random, plan: Plan) -> str:
    if plan.english:
        prefix = FOREIGN_MARKETS[plan.country][2]
        return f"{prefix} {rng.randint(20, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
    mobile = f"1{rng.choice('35789')}{rng.randint(0, 9)}"
    return f"{mobile} {rng.randint(0, 9999):04d} {rng.randint(0, 9999):04d}"


# --- files and loading ---------------------------------------------------------------

HEADERS = {
    "accounts": [f.name for f in ACCOUNT_FIELDS],
    "contacts": [f.name for f in CONTACT_FIELDS],
    "transactions": [f.name for f in ORDER_FIELDS],
    "payments": [f.name for f in PAYMENT_FIELDS],
}


def book_rows(book: DemoBook, kind: str) -> list[Row]:
    return {
        "accounts": book.accounts,
        "contacts": book.contacts,
        "transactions": book.orders,
        "payments": book.payments,
    }[kind]


def write_demo_files(book: DemoBook, folder: Path) -> dict[str, Path]:
    """The book as import files (UTF-8 CSV with the import's own column names)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for kind in KINDS:
        path = folder / f"{kind}.csv"
        header = HEADERS[kind]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(
                [row.get(name, "") for name in header] for row in book_rows(book, kind)
            )
        paths[kind] = path
    return paths


class DemoLoadFailed(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        lines = [report.summary(), *(str(p) for p in report.problems[:20])]
        super().__init__("\n".join(lines))


def create_demo_organisation(book: DemoBook) -> dict[str, User]:
    """Regions, teams and the demo users (password `demo`), straight through the ORM."""
    from django.contrib.auth.hashers import make_password

    from kam.core.models import Department, Region, Team, User

    code, name, name_zh = SERVICE_DEPARTMENT
    service = Department.objects.create(code=code, name=name, name_zh=name_zh)
    regions = {
        r.code: Region.objects.create(code=r.code, name=r.name, name_zh=r.name_zh) for r in REGIONS
    }
    teams = {t.name: Team.objects.create(name=t.name, region=regions[t.region]) for t in TEAMS}
    # One hash for all: hashing is deliberately slow, and every demo user has the same password.
    password = make_password(DEMO_PASSWORD)
    users: dict[str, User] = {}
    for spec in book.users:
        users[spec.username] = User.objects.create(
            username=spec.username,
            password=password,
            email=spec.email,
            first_name=spec.first_name,
            last_name=spec.last_name,
            role=spec.role,
            team=teams[spec.team] if spec.team else None,
            region=regions[spec.region] if spec.region else None,
            is_staff=spec.is_administrator,
            is_superuser=spec.is_administrator,
            department=service if spec.role == Role.SERVICE_AGENT else None,
        )
    return users


def load_demo(
    book: DemoBook,
    folder: Path,
    *,
    actor: User,
    progress: Progress | None = None,
    on_report: Callable[[ImportReport], None] | None = None,
) -> list[ImportReport]:
    """Write the import files and load them through the import engine, as `actor`."""
    from kam.dataio.engine import import_file

    paths = write_demo_files(book, folder)
    reports = []
    for kind in KINDS:
        report = import_file(kind, paths[kind], actor=actor, progress=progress)
        if not report.ok:
            raise DemoLoadFailed(report)
        reports.append(report)
        if on_report is not None:
            on_report(report)
    add_account_teams(book)
    return reports


def add_account_teams(book: DemoBook) -> int:
    from kam.accounts.models import Account, AccountTeamMember
    from kam.core.models import User

    account_pk = dict(Account.objects.values_list("external_id", "pk"))
    user_pk = dict(User.objects.values_list("username", "pk"))
    rows = [
        AccountTeamMember(account_id=account_pk[ext], user_id=user_pk[username], role=role)
        for ext, username, role in book.team_members
    ]
    AccountTeamMember.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def book_counts(book: DemoBook) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for kind in KINDS:
        counts[kind] = len(book_rows(book, kind))
    counts["account team members"] = len(book.team_members)
    counts["users"] = len(book.users)
    return dict(counts)
