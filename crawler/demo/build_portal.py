"""Writes the demo portal (``crawler/demo/portal/``) from the article data in this module.

Pages come from a handful of templates, so they share identical furniture (sidebar headlines,
topic links, copyright, contact line, social links) the way a real CMS's pages do: that shared
furniture is what the crawler must leave out. All text is invented for this demo. The output is
committed; rerun after changing this file (a test checks that the two agree)::

    python -m crawler.demo.build_portal [OUT_DIR]

``{{BASE}}`` in the output is replaced by the demo server with its own base URL, because the
port is only known when the server starts.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

PORTAL_DIR = Path(__file__).resolve().parent / "portal"
BASE = "{{BASE}}"
CST = timezone(timedelta(hours=8))
INDENT = "\u3000\u3000"  # two full-width spaces: how Chinese CMSs mark a paragraph

# A 1x1 transparent GIF: pictures exist, so a crawler that fetches them gets a 200, not noise.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

# URL paths of every page; the crawler engineer's tests refer to these.
A1 = "/tech/2022-03/01/content_78012345.htm"
A2 = "/tech/2022-03/15/content_78034567.htm"
A3 = "/tech/2022-04/02/content_78056789.htm"
A4 = "/finance/2022-04/18/content_78078901.htm"
A5 = "/finance/2022-05/06/content_78090123.htm"
GBK_ARTICLE = "/tech/2019-11/20/content_75412345.htm"
TABLE_ARTICLE = "/news/2005-06/12/content_1234567.htm"
EN_ARTICLE = "/english/2022-03/20/content_78023456.htm"
TECH_LIST = "/tech/node_7001.htm"
TECH_LIST_2 = "/tech/node_7001_2.htm"
FINANCE_LIST = "/finance/node_7002.htm"
FINANCE_LIST_2 = "/finance/node_7002_2.htm"
TAG_5G = "/tag/5G.htm"
MISSING = "/tech/2022-02/28/content_78000001.htm"  # linked from the home page, never written
PRIVATE = "/private/secret.htm"  # disallowed by robots.txt, linked from the home page

SECTIONS = {"tech": ("科技", TECH_LIST), "finance": ("财经", FINANCE_LIST)}


@dataclass(frozen=True)
class Figure:
    after: int  # index of the paragraph the picture follows
    src: str
    caption: str


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    published: str  # local time exactly as the dateline shows it
    source: str
    authors: tuple[str, ...]
    editor: str
    paragraphs: tuple[str, ...]
    figure: Figure | None = None
    lang: str | None = None  # None: the page declares no language
    description: str | None = None
    og_article: bool = False
    json_ld: bool = False  # NewsArticle JSON-LD with an explicit +08:00 offset
    tagged_5g: bool = False
    related: tuple[str, ...] = ()


ARTICLES: tuple[Article, ...] = (
    Article(
        path=A1,
        title="无锡开通首条车路协同智能公交示范线",
        published="2022-03-01 10:22:33",
        source="中国网科技",
        authors=("张三",),
        editor="李四",
        paragraphs=(
            "3月1日上午，无锡市首条车路协同智能公交示范线在经开区正式开通运营。这条线路全长约"
            "12公里，沿途设置18个站点，首批投放的10辆新能源公交车全部加装了车载通信单元和多路"
            "感知设备，可与路侧设施实时交换信息。",
            "据线路运营方介绍，公交车在接近路口时会提前获取信号灯相位和倒计时信息，系统据此给出"
            "建议车速，尽量让车辆“一路绿灯”通过。试运行一个月的数据显示，示范线车辆平均停车次数"
            "下降约三成，准点率提升到百分之九十五以上。",
            "在路侧，工程人员沿线布设了毫米波雷达、高清摄像头和边缘计算设备，并通过5G网络与公交车"
            "相连。遇到行人横穿马路或前方车辆急刹，路侧设备会在百毫秒级时间内把预警推送到车内屏幕，"
            "提醒驾驶员提前减速。",
            "乘客也能感受到变化。市民刘女士每天乘坐这条线路上班，她说，站台电子屏上的到站时间比"
            "过去准了很多，“现在看一眼手机就知道几点出门，不用在站台上干等。”",
            "无锡市交通运输部门相关负责人表示，下一步将总结示范线运营经验，逐步把车路协同设备延伸"
            "到更多公交线路和重点路口，并探索在园区通勤、景区接驳等场景开展自动驾驶公交测试。",
        ),
        figure=Figure(1, "/images/2022/78012345_1.gif", "车路协同智能公交车在站台停靠"),
        lang="zh-CN",
        description="无锡市首条车路协同智能公交示范线开通，首批10辆新能源公交车可与路侧设施实时交换信息。",
        og_article=True,
        json_ld=True,
        tagged_5g=True,
        related=(A2, A3),
    ),
    Article(
        path=A2,
        title="5G工业互联网平台助力纺织企业降本增效",
        published="2022-03-15 09:05:10",
        source="新华网",
        authors=("王晓明", "刘芳"),
        editor="陈晨",
        paragraphs=(
            "走进南通一家家纺企业的生产车间，上百台织机有序运转，车间里只有少数几名巡检人员。企业"
            "负责人介绍，自去年接入5G工业互联网平台后，每台织机的运行状态都能在大屏上实时查看，"
            "断纱、停机等异常会第一时间推送到巡检人员的手机上。",
            "这套平台由当地运营商与一家工业软件企业联合搭建，利用5G网络低时延、大连接的特点，把织机、"
            "染缸、仓储设备的数据统一汇聚到云端。平台还能根据订单情况自动排产，减少了换线等待时间。",
            "企业算了一笔账：改造完成后，车间用工减少约四成，单位产品能耗下降百分之十二，订单交付"
            "周期由原来的二十天缩短到十四天左右。对于利润本就不高的纺织行业来说，这些变化意义不小。",
            "业内人士指出，中小企业数字化改造普遍面临“不敢转、不会转”的难题。以平台化方式提供轻量级"
            "应用，按需订阅、按月付费，可以明显降低企业一次性投入，让更多工厂用得上、用得起。",
            "据了解，当地已有六十多家纺织企业接入该平台，今年还计划在印染、服装等上下游环节推广，"
            "打造覆盖全产业链的数字化样板。",
        ),
        figure=Figure(1, "/images/2022/78034567_1.gif", "工作人员在车间查看织机运行数据"),
        tagged_5g=True,
        related=(A1, A3),
    ),
    Article(
        path=A3,
        title="国产开源数据库社区发布新版本 分布式事务性能提升",
        published="2022-04-02 16:40:00",
        source="科技日报",
        authors=("陈静",),
        editor="王伟",
        paragraphs=(
            "4月2日，一个由国内多家企业和高校共同维护的开源数据库社区发布了最新版本。新版本重点优化"
            "了分布式事务处理流程，官方测试显示，在典型的交易型负载下，吞吐量比上一版本提升约百分之"
            "四十。",
            "社区技术委员会成员介绍，过去一年里共有来自两百多家单位的开发者提交代码，其中高校学生"
            "贡献者数量增长明显。新版本还补充了中文文档和迁移工具，方便用户从其他数据库平滑切换。",
            "在金融、电信等行业，数据库长期被视为最核心的基础软件之一。有专家认为，开源模式能够汇聚"
            "更多开发力量，加快问题发现和修复，但社区治理、知识产权合规和长期维护投入同样需要重视。",
            "社区方面表示，下一阶段将围绕云原生部署、5G边缘计算和多模数据处理等方向持续迭代，并计划"
            "在年内举办面向开发者的技术大赛，吸引更多年轻人参与基础软件建设。",
        ),
        figure=Figure(1, "/images/2022/78056789_1.gif", "开发者在版本发布会上交流"),
        lang="zh-CN",
        og_article=True,
        tagged_5g=True,
        related=(A1, A2),
    ),
    Article(
        path=A4,
        title="数字人民币试点扩围 小额便民支付场景持续丰富",
        published="2022-04-18 08:15:00",
        source="中国网财经",
        authors=("赵磊",),
        editor="孙丽",
        paragraphs=(
            "记者近日从多家试点银行了解到，随着数字人民币试点范围进一步扩大，菜市场、社区便利店、"
            "公交地铁等小额高频支付场景正在加快落地，越来越多的市民开始在日常消费中尝试使用数字钱包。",
            "在杭州一处农贸市场，摊主们的收款码旁边多了一块数字人民币标识。卖菜的老周说，顾客付款后"
            "钱直接进入自己的钱包，不需要额外手续费，到账也很快，“刚开始有点不习惯，现在用的人越来"
            "越多了”。",
            "除了线下场景，数字人民币在线上缴费、政务服务等领域的应用也在拓展。部分城市已支持用数字"
            "人民币缴纳水电燃气费用，一些地方还尝试通过数字人民币发放消费补贴，提升资金发放效率。",
            "一家国有大行的数字金融部门负责人表示，银行正在优化开户流程和钱包功能，针对老年人推出了"
            "大字版界面和硬件钱包，力求让不同群体都能方便使用。",
            "有分析人士认为，试点扩围有助于积累更多真实场景下的运行经验，但在用户习惯培养、商户受理"
            "改造和隐私保护等方面，仍需要持续投入和完善。",
            "据介绍，相关部门将坚持稳妥推进原则，在总结试点经验的基础上，有序扩大应用范围，推动数字"
            "人民币与现有支付工具形成互补。",
        ),
        figure=Figure(1, "/images/2022/78078901_1.gif", "市民在农贸市场使用数字人民币付款"),
        description="数字人民币试点范围扩大，菜市场、便利店、公交地铁等小额支付场景加快落地。",
        related=(A5,),
    ),
    Article(
        path=A5,
        title="县域普惠金融服务站覆盖率稳步提升",
        published="2022-05-06 14:30:45",
        source="经济日报",
        authors=("孙悦",),
        editor="刘洋",
        paragraphs=(
            "在江西省一个山区县的村委会旁，一间不足二十平方米的普惠金融服务站每天都有村民进进出出。"
            "取小额现金、查询养老金、办理社保卡激活，这些过去要跑几十里路去镇上办理的业务，如今在"
            "家门口就能完成。",
            "据当地金融监管部门统计，截至今年一季度，全县行政村普惠金融服务站覆盖率已超过百分之九十，"
            "累计办理各类业务十二万余笔。服务站大多由村里的小超市店主或村干部兼任协理员。",
            "为了解决农户贷款难的问题，一些银行把信贷员派驻到服务站，结合村委会提供的信用评价信息，"
            "为种养殖户发放免抵押的信用贷款。一位种植蜜桔的农户说，去年春耕时贷到五万元，买了新的"
            "灌溉设备。",
            "业内专家表示，县域是普惠金融的重点和难点，既要扩大服务覆盖面，也要防范代办环节的操作"
            "风险。加强协理员培训、完善业务监测系统，是服务站可持续运营的关键。",
            "下一步，当地计划推动服务站与电商服务点、快递收发点融合建设，让一个站点同时满足村民的"
            "金融、购物和物流需求，进一步降低运营成本。",
        ),
        figure=Figure(0, "/images/2022/78090123_1.gif", "村民在普惠金融服务站办理业务"),
        lang="zh-CN",
        og_article=True,
        related=(A4,),
    ),
)

# Served as GBK with the charset only in a <meta>; 喆 堃 镕 昇 are in GBK but not in GB2312.
GBK = Article(
    path=GBK_ARTICLE,
    title="生僻字不再“卡壳” 多地户籍系统升级扩容汉字库",
    published="2019-11-20 15:12:08",
    source="法治日报",
    authors=("周涛",),
    editor="马骏",
    paragraphs=(
        "名字里的生僻字，曾让不少人在办理银行卡、购买车票时遇到麻烦。记者近日了解到，多地公安机关"
        "已完成户籍系统汉字库升级，此前无法录入的“喆”“堃”等字，如今可以在系统中正常显示和打印。",
        "家住济南的王喆对此深有体会。他说，过去在一些网站注册时，名字中的“喆”字经常被显示成"
        "问号，只能用同音字代替，“有时候证件上的名字和系统里的对不上，还得开证明”。",
        "据介绍，此次升级参照了国家相关汉字编码标准，系统可识别的汉字数量大幅增加。对于“镕”“昇”"
        "这类在旧编码中缺失的字，工作人员不再需要手工造字，群众办事时也不必反复解释。",
        "有信息技术专家指出，生僻字问题的根源在于不同系统采用的字符集不一致。只有户籍、金融、交通"
        "等部门同步完成改造，才能真正实现“一个名字走到底”。",
        "目前，部分银行和铁路售票系统也已启动相应改造。相关部门表示，将推动更多公共服务平台统一"
        "采用大字符集标准，切实解决群众因生僻字带来的办事难题。",
    ),
    related=(A3,),
)

# A 2005-era page: nested tables, the body one <td> of text separated by <br><br> runs.
TABLE = Article(
    path=TABLE_ARTICLE,
    title="西部五省区启动农村中小学远程教育试点",
    published="2005年06月12日 08:30",
    source="中国网",
    authors=("周明",),
    editor="",
    paragraphs=(
        "记者从教育部门获悉，西部五省区农村中小学现代远程教育试点工程日前正式启动。首批试点将"
        "覆盖两千余所农村中小学，通过卫星接收和光盘播放等方式，把优质教学资源送到偏远地区的课堂。",
        "据介绍，试点学校将根据条件分为三种模式：教学点配备电视机和光盘播放设备，小学建设卫星教学"
        "收视点，初中则建设计算机教室。各地将优先安排少数民族地区和贫困地区的学校。",
        "一位参与项目设计的专家表示，农村学校普遍缺少合格的英语、音乐和美术教师，远程教育能够在"
        "一定程度上弥补师资不足，让山区孩子也能听到城里优秀教师的课。",
        "为保证设备用得好，各地还将组织骨干教师培训，每所试点学校至少培养一名能够操作设备、组织"
        "教学的专职人员。培训内容包括设备维护、资源下载和课堂应用等。",
        "项目资金由中央和地方共同承担，中央资金主要用于设备购置，地方负责配套建设和日常运行经费。"
        "有关部门要求各地加强资金监管，确保专款专用。",
        "按照计划，试点工作将于今年年底前完成设备安装和验收，有关部门将在总结经验的基础上，研究"
        "制定在更大范围内推广的实施方案。",
    ),
)

EN = Article(
    path=EN_ARTICLE,
    title="Rural e-commerce hubs help farmers reach city buyers",
    published="2022-03-20 11:05:00",
    source="China.org.cn",
    authors=("Li Wei",),
    editor="Wang Li",
    paragraphs=(
        "In a small county in Shaanxi province, a converted grain warehouse now hums with activity "
        "every morning. Packers weigh kiwifruit, print shipping labels and load boxes onto vans "
        "bound for the county's express delivery center, from where the fruit reaches buyers in "
        "Shanghai and Guangzhou within two days.",
        "The warehouse is one of more than 40 rural e-commerce service hubs the county has opened "
        "since 2020. Each hub offers free training on online storefronts, product photography and "
        "live-streaming, as well as shared cold storage that individual growers could not afford "
        "on their own.",
        '"Before, we sold almost everything to middlemen who came to the orchard, and they set the '
        'price," said Zhang Min, a grower who now runs a small online shop with her son. "Now we '
        'can talk to customers directly, and we get paid more for better fruit."',
        "Local officials say online sales of farm produce in the county rose by about a third last "
        "year. The hubs have also created jobs for young people returning from cities, many of "
        "whom work as hosts for live-streamed sales or manage logistics.",
        "Experts caution that rural e-commerce still faces challenges, including high delivery "
        "costs in remote villages and a lack of quality standards. Building brands for local "
        "products, they say, will be key to keeping growth sustainable.",
    ),
    figure=Figure(
        1, "/images/2022/78023456_1.gif", "Farmers pack kiwifruit at a rural e-commerce hub."
    ),
    lang="en",
    description="County e-commerce hubs in Shaanxi help kiwifruit growers sell directly online.",
    og_article=True,
)

BY_PATH = {a.path: a for a in (*ARTICLES, GBK, TABLE, EN)}

# Furniture shared by every Chinese page of the modern CMS (and the GBK page).
PHOTO_NEWS = (
    ("春季植树活动在京郊展开", "http://photo.example.org.cn/2022-03/12/content_41001.htm"),
    ("新型高速动车组完成线路试验", "http://photo.example.org.cn/2022-03/18/content_41002.htm"),
    ("沿海港口集装箱吞吐量稳中有升", "http://photo.example.org.cn/2022-04/06/content_41003.htm"),
    ("高原光伏电站并网发电", "http://photo.example.org.cn/2022-04/21/content_41004.htm"),
)
TOPICS = (
    ("2022年全国两会特别报道", "http://zhuanti.example.org.cn/2022lianghui/"),
    ("聚焦数字经济新动能", "http://zhuanti.example.org.cn/szjj/"),
    ("乡村振兴在行动", "http://zhuanti.example.org.cn/xczx/"),
    ("科技创新年度盘点", "http://zhuanti.example.org.cn/kjcx2021/"),
    ("数字中国建设成果展", "http://zhuanti.example.org.cn/szzg/"),
)
HOT = (
    ("新能源汽车下乡活动启动", "http://www.example.org.cn/2022-05/10/content_52001.htm"),
    ("多地出台措施支持小微企业", "http://www.example.org.cn/2022-05/11/content_52002.htm"),
    ("暑期文旅消费持续升温", "http://www.example.org.cn/2022-05/12/content_52003.htm"),
    ("人工智能赋能医疗影像诊断", "http://www.example.org.cn/2022-05/13/content_52004.htm"),
)
FOOTER_LINKS = ("关于我们", "联系我们", "广告服务", "网站地图")
SITE_DESCRIPTION = (
    "中国网是国家重点新闻网站，以多个语种全天候向全球发布新闻资讯，是对外介绍中国经济社会发展、"
    "开展国际交流的重要网络平台。"
)
COPYRIGHT_OWNER = "版权所有 中国互联网新闻中心"
COPYRIGHT_NOTICE = (
    "凡本网注明“来源：中国网科技”的作品，版权均属本网所有，未经本网授权不得转载、摘编或以其他"
    "方式使用上述作品。"
)
CONTACT = ("电话：010-88880001", "传真：010-88880002", "邮箱：newsdesk@example.org.cn")
ICP = ("京ICP证000000号", "京公网安备00000000000000号")

# Furniture of the 2005 table-layout page.
OLD_PICKS = (
    "全国夏粮收购工作全面展开",
    "首届农民艺术节在京闭幕",
    "黄河调水调沙试验顺利启动",
    "沿海省份启动防汛应急预案",
)
OLD_RELATED = (
    "农村中小学危房改造工程进展顺利",
    "暑期中小学教师培训工作部署完成",
    "西部地区教育信息化建设座谈会召开",
)
OLD_COPYRIGHT = "本网站所刊登的新闻、信息和图片，未经本网授权不得转载或建立镜像。"
OLD_CONTACT = ("电话：010-88880011", "传真：010-88880012", "邮箱：webmaster@example.org.cn")

# Furniture of the English page.
EN_PHOTOS = (
    "Spring blossoms draw visitors to Wuhan parks",
    "New bullet train completes trial run",
    "Lantern makers prepare for festival season",
)
EN_REPORTS = ("2022 Two Sessions", "Digital China in Focus", "Rural Revitalization")
EN_MOST_VIEWED = ("Port cargo volumes keep steady growth", "Solar farm on plateau joins the grid")
EN_RELATED = (
    "County launches training for livestreaming sellers",
    "Cold-chain network extends to more villages",
)
EN_DESCRIPTION = (
    "China.org.cn is a state-level news portal that publishes news and information about China "
    "around the clock in ten languages."
)
EN_COPYRIGHT = "Copyright © China Internet Information Center. All rights reserved."
EN_CONTACT = ("E-mail: webmaster@example.org.cn", "Tel: 86-10-88880021")

STYLE = (
    '<style type="text/css">\n'
    "body{margin:0;font:12px/1.8 SimSun,serif}a{color:#036;text-decoration:none}\n"
    "#top,.crumb,.main,#footer{width:960px;margin:0 auto}.left{float:left;width:660px}\n"
    ".right{float:right;width:280px}#footer{clear:both;text-align:center;color:#666}\n"
    "</style>"
)
ANALYTICS = (
    '<script type="text/javascript">var _hmt = _hmt || [];'
    " (function(){ /* page counter placeholder */ })();</script>"
)


def e(text: str) -> str:
    return escape(text, quote=False)


def a_href(href: str, text: str) -> str:
    return f'<a href="{escape(href)}" target="_blank">{e(text)}</a>'


def ul(items: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    lis = "\n".join(f"<li>{a_href(href, text)}</li>" for text, href in items)
    return f"<ul>\n{lis}\n</ul>"


def zh_header(section: tuple[str, str] | None) -> str:
    crumb = '当前位置：<a href="/">首页</a>'
    if section:
        crumb += f' &gt; <a href="{section[1]}">{section[0]}</a> &gt; 正文'
    return f"""<div id="top">
<div class="toplink"><a href="/">中国网首页</a> | <a href="{EN_ARTICLE}">English</a> | \
<a href="http://m.example.org.cn/">手机版</a></div>
<div class="logo"><a href="/"><img src="/images/logo.gif" alt="中国网科技" border="0"></a></div>
<div class="nav"><a href="/">首页</a> <a href="{TECH_LIST}">科技</a> \
<a href="{FINANCE_LIST}">财经</a> <a href="{TAG_5G}">5G</a> \
<a href="http://zhuanti.example.org.cn/">专题</a></div>
</div>
<div class="crumb">{crumb}</div>"""


def zh_sidebar() -> str:
    return f"""<div class="right">
<div class="box"><h3>图片新闻</h3>
{ul(PHOTO_NEWS)}
</div>
<div class="box"><h3>专题</h3>
{ul(TOPICS)}
</div>
<div class="box"><h3>热点推荐</h3>
{ul(HOT)}
</div>
</div>"""


def zh_footer() -> str:
    links = " | ".join(
        f'<a href="http://www.example.org.cn/about/{i}.htm">{t}</a>'
        for i, t in enumerate(FOOTER_LINKS, 1)
    )
    return f"""<div id="footer">
<div class="flinks">{links}</div>
<p>{e(SITE_DESCRIPTION)}</p>
<p>{COPYRIGHT_OWNER}　{e(COPYRIGHT_NOTICE)}</p>
<p>{"　".join(CONTACT)}</p>
<p>{ICP[0]}&nbsp;&nbsp;{ICP[1]}</p>
<div class="social"><a href="http://weixin.example.org.cn/">官方微信</a> \
<a href="http://weibo.example.org.cn/">官方微博</a></div>
</div>
{ANALYTICS}"""


def related_list(a: Article) -> str:
    return ul([(BY_PATH[p].title, p) for p in a.related])


def zh_body(a: Article) -> str:
    parts = []
    for i, para in enumerate(a.paragraphs):
        parts.append(f"<p>{INDENT}{e(para)}</p>")
        if a.figure and a.figure.after == i:
            parts.append(f'<p align="center"><img src="{a.figure.src}" border="0"></p>')
            parts.append(f'<p align="center">{e(a.figure.caption)}</p>')
    return "\n".join(parts)


def json_ld(a: Article) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "datePublished": a.published.replace(" ", "T") + "+08:00",
        "author": [{"@type": "Person", "name": n} for n in a.authors],
        "publisher": {"@type": "Organization", "name": "中国网科技"},
        "mainEntityOfPage": BASE + a.path,
    }
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def modern_article(a: Article) -> str:
    """The current CMS template: one <p> per paragraph, furniture in the same page."""
    html_open = (
        f'<html lang="{a.lang}">' if a.lang else '<html xmlns="http://www.w3.org/1999/xhtml">'
    )
    head = [
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
        f"<title>{e(a.title)}_中国网科技</title>",
        f'<meta name="keywords" content="{SECTIONS[a.path.split("/")[1]][0]},中国网科技">',
    ]
    if a.description:
        head.append(f'<meta name="description" content="{escape(a.description)}">')
    if a.og_article:
        head.append('<meta property="og:type" content="article">')
        head.append(f'<meta property="og:title" content="{escape(a.title)}">')
    head.append(f'<link rel="canonical" href="{BASE}{a.path}">')
    if a.json_ld:
        head.append(json_ld(a))
    head.append(STYLE)
    tags = f'<div class="tags">标签：<a href="{TAG_5G}">5G</a></div>\n' if a.tagged_5g else ""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" \
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
{html_open}
<head>
{chr(10).join(head)}
</head>
<body>
{zh_header(SECTIONS[a.path.split("/")[1]])}
<div class="main">
<div class="left">
<h1 class="artitle">{e(a.title)}</h1>
<div class="arinfo"><span id="pubtime_baidu">{a.published}</span>　\
<span id="source_baidu">来源：{e(a.source)}</span>　<span id="author_baidu">作者：\
{" ".join(a.authors)}</span>　<span class="fontsize">【字号 <a href="#">大</a> \
<a href="#">中</a> <a href="#">小</a>】</span></div>
<div class="artcon" id="fontzoom">
{zh_body(a)}
<p align="right">责任编辑：{a.editor}</p>
</div>
{tags}<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a>\
　【<a href="javascript:window.print()">打印</a>】【<a href="javascript:window.close()">关闭</a>】\
</div>
<div class="related"><h3>相关新闻</h3>
{related_list(a)}
</div>
</div>
{zh_sidebar()}
</div>
{zh_footer()}
</body>
</html>
"""


def gbk_article(a: Article) -> str:
    """An older CMS template (2019), stored as GBK; no lang, no og, no canonical."""
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{e(a.title)}_中国网科技</title>
<meta name="keywords" content="生僻字,户籍系统,汉字库" />
</head>
<body>
{zh_header(SECTIONS["tech"])}
<div class="main">
<div class="left">
<div class="title"><h1>{e(a.title)}</h1></div>
<div class="info">发布时间：{a.published}　来源：{e(a.source)}　作者：{" ".join(a.authors)}</div>
<div id="artbody">
{zh_body(a)}
</div>
<div class="editor">（责任编辑：{a.editor}）</div>
<div class="related"><h3>相关新闻</h3>
{related_list(a)}
</div>
</div>
{zh_sidebar()}
</div>
{zh_footer()}
</body>
</html>
"""


def table_article(a: Article) -> str:
    """A 2005-era page: nested tables, body text in one <td> separated by <br> runs."""
    body = "<br><br>\n".join(INDENT + e(p) for p in a.paragraphs)
    picks = "\n".join(
        f'<tr><td>·<a href="http://www.example.org.cn/chinese/2005/{i}.htm">{t}</a></td></tr>'
        for i, t in enumerate(OLD_PICKS, 1001)
    )
    related = "<br>\n".join(
        f'·<a href="http://www.example.org.cn/chinese/2005/{i}.htm">{t}</a>'
        for i, t in enumerate(OLD_RELATED, 2001)
    )
    return f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{e(a.title)}--中国网</title>
<style>td{{font-size:12px;line-height:180%}}</style>
</head>
<body bgcolor="#FFFFFF" leftmargin="0" topmargin="0">
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0">
<tr>
<td width="200"><a href="/"><img src="/images/logo_2005.gif" width="200" height="60" \
border="0"></a></td>
<td align="right"><a href="/">首页</a> | <a href="{TECH_LIST}">科技</a> | \
<a href="{FINANCE_LIST}">财经</a> | <a href="{EN_ARTICLE}">English</a></td>
</tr>
</table>
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0">
<tr>
<td width="180" valign="top" bgcolor="#EEEEEE">
<table width="100%" border="0" cellpadding="4" cellspacing="0">
<tr><td bgcolor="#003366"><font color="#FFFFFF"><b>今日推荐</b></font></td></tr>
{picks}
</table>
</td>
<td width="598" valign="top">
<table width="100%" border="0" cellpadding="8" cellspacing="0">
<tr><td align="center"><font size="4"><b>{e(a.title)}</b></font></td></tr>
<tr><td align="center"><font color="#666666">{a.published}　　来源：{a.source}　　\
作者：{a.authors[0]}</font></td></tr>
<tr><td><font style="font-size:14px">
{body}
</font></td></tr>
<tr><td align="right">【<a href="javascript:window.print()">打印本页</a>】\
【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
<tr><td><b>相关新闻</b><br>
{related}
</td></tr>
</table>
</td>
</tr>
</table>
<table width="778" border="0" align="center" cellpadding="6" cellspacing="0">
<tr><td align="center" bgcolor="#EEEEEE">
<a href="http://www.example.org.cn/about/1.htm">关于我们</a> | \
<a href="http://www.example.org.cn/about/4.htm">网站地图</a><br>
{COPYRIGHT_OWNER}　{OLD_COPYRIGHT}<br>
{"　".join(OLD_CONTACT)}<br>
{ICP[0]}
</td></tr>
</table>
</body>
</html>
"""


def english_article(a: Article) -> str:
    """The English edition's template: same kind of furniture, in English."""
    assert a.figure and a.description
    parts = []
    for i, para in enumerate(a.paragraphs):
        parts.append(f"<p>{e(para)}</p>")
        if a.figure.after == i:
            parts.append(f'<p align="center"><img src="{a.figure.src}" border="0"></p>')
            parts.append(f'<p align="center">{e(a.figure.caption)}</p>')
    body = "\n".join(parts)
    photos = ul(
        [(t, f"http://photo.example.org.cn/english/{i}.htm") for i, t in enumerate(EN_PHOTOS)]
    )
    reports = ul(
        [(t, f"http://zhuanti.example.org.cn/english/{i}/") for i, t in enumerate(EN_REPORTS)]
    )
    viewed = ul(
        [(t, f"http://www.example.org.cn/english/v{i}.htm") for i, t in enumerate(EN_MOST_VIEWED)]
    )
    related = ul(
        [(t, f"http://www.example.org.cn/english/r{i}.htm") for i, t in enumerate(EN_RELATED)]
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{e(a.title)} - China.org.cn</title>
<meta name="description" content="{escape(a.description)}">
<meta property="og:type" content="article">
<link rel="canonical" href="{BASE}{a.path}">
{STYLE}
</head>
<body>
<div id="top">
<div class="logo"><a href="/"><img src="/images/logo_en.gif" alt="China.org.cn" \
border="0"></a></div>
<div class="nav"><a href="/">Home</a> <a href="http://www.example.org.cn/english/china/">China</a> \
<a href="http://www.example.org.cn/english/business/">Business</a> \
<a href="http://www.example.org.cn/english/world/">World</a> <a href="/">中文</a></div>
</div>
<div class="main">
<div class="left">
<h1 id="title">{e(a.title)}</h1>
<div class="byline">By {a.authors[0]} | {a.source} | Updated: {a.published}</div>
<div id="articleBody">
{body}
</div>
<p class="editor">Web editor: {a.editor}</p>
<div class="related"><h3>Related</h3>
{related}
</div>
</div>
<div class="right">
<div class="box"><h3>Photos</h3>
{photos}
</div>
<div class="box"><h3>Special Reports</h3>
{reports}
</div>
<div class="box"><h3>Most Viewed</h3>
{viewed}
</div>
</div>
</div>
<div id="footer">
<p>{e(EN_DESCRIPTION)}</p>
<p>{EN_COPYRIGHT} {EN_CONTACT[0]}&nbsp;&nbsp;{EN_CONTACT[1]}</p>
<p>{ICP[0]}</p>
<div class="social">Follow us: <a href="http://weixin.example.org.cn/">WeChat</a> \
<a href="http://weibo.example.org.cn/">Weibo</a></div>
</div>
{ANALYTICS}
</body>
</html>
"""


def zh_page(title: str, body: str, section: tuple[str, str] | None, head_extra: str = "") -> str:
    """Home, listing and tag pages: header, a body of links, sidebar and footer; no article."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{e(title)}</title>
{head_extra}{STYLE}
</head>
<body>
{zh_header(section)}
<div class="main">
<div class="left">
{body}
</div>
{zh_sidebar()}
</div>
{zh_footer()}
</body>
</html>
"""


def day(a: Article) -> str:
    return a.published[:10]


def dated_list(paths: tuple[str, ...]) -> str:
    lis = "\n".join(
        f'<li><a href="{p}" target="_blank">{e(BY_PATH[p].title)}</a> '
        f"<span>{day(BY_PATH[p])}</span></li>"
        for p in paths
    )
    return f'<ul class="list">\n{lis}\n</ul>'


def listing(name: str, node: str, page: int, paths: tuple[str, ...], other: str) -> str:
    pager = (
        f'<div class="pager">第1页 <a href="{other}">下一页</a></div>'
        if page == 1
        else f'<div class="pager"><a href="{other}">上一页</a> 第2页</div>'
    )
    body = f"<h2>{name}</h2>\n{dated_list(paths)}\n{pager}"
    section = (name, node)
    return zh_page(f"{name}_中国网科技" + ("" if page == 1 else f"_第{page}页"), body, section)


def home() -> str:
    top = BY_PATH[A1]
    news = [(BY_PATH[p].title, BASE + p) for p in (A5, A4, A3, A2)]
    news.append(("量子通信干线网络完成扩容", MISSING))  # deliberately broken: 404
    body = f"""<div class="headline"><h2><a href="{BASE}{A1}">{e(top.title)}</a></h2></div>
<div class="box"><h3>要闻</h3>
{ul(news)}
</div>
<div class="box"><h3><a href="{TECH_LIST}">科技</a></h3>
{dated_list((A3, A2, A1, GBK_ARTICLE))}
<a href="{TECH_LIST}">更多&gt;&gt;</a>
</div>
<div class="box"><h3><a href="{FINANCE_LIST}">财经</a></h3>
{dated_list((A5, A4))}
<a href="{FINANCE_LIST}">更多&gt;&gt;</a>
</div>
<div class="box"><h3>English</h3>
<ul><li><a href="{EN_ARTICLE}">{e(EN.title)}</a></li></ul>
</div>
<div class="box"><h3>往期回顾</h3>
<ul><li><a href="{TABLE_ARTICLE}">{e(TABLE.title)}</a></li></ul>
</div>
<div class="box"><h3>热门标签</h3><a href="{TAG_5G}">5G</a></div>
<div class="tools"><a href="/rss.xml">RSS订阅</a> | <a href="{PRIVATE}">内部预览</a></div>"""
    head_extra = (
        '<meta name="description" content="中国网科技频道：科技、财经新闻资讯">\n'
        f'<link rel="canonical" href="{BASE}/">\n'
        '<link rel="alternate" type="application/rss+xml" title="中国网科技" '
        f'href="{BASE}/rss.xml">\n'
    )
    return zh_page("中国网科技_国家重点新闻网站科技频道", body, None, head_extra)


def tag_page() -> str:
    body = f"<h2>标签：5G</h2>\n{dated_list((A3, A2, A1))}"
    return zh_page("5G_标签_中国网科技", body, ("5G", TAG_5G))


def secret_page() -> str:
    return zh_page("内部预览", "<p>内部预览稿件，请勿抓取。</p>", None)


def robots_txt() -> str:
    return f"""User-agent: *
Disallow: /private/
Disallow: /search/

Sitemap: {BASE}/sitemap.xml
"""


def iso(a: Article) -> str:
    return a.published.replace(" ", "T") + "+08:00"


def sitemap_index() -> str:
    entries = "\n".join(
        f"<sitemap><loc>{BASE}/{name}</loc><lastmod>2022-05-06T14:30:45+08:00</lastmod></sitemap>"
        for name in ("sitemap-news.xml", "sitemap-pages.xml")
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{entries}
</sitemapindex>
"""


def news_sitemap() -> str:
    urls = []
    for a in (*ARTICLES, EN):
        name, language = ("China.org.cn", "en") if a is EN else ("中国网科技", "zh")
        urls.append(f"""<url>
<loc>{BASE}{a.path}</loc>
<news:news>
<news:publication><news:name>{name}</news:name><news:language>{language}</news:language></news:publication>
<news:publication_date>{iso(a)}</news:publication_date>
<news:title>{e(a.title)}</news:title>
</news:news>
</url>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" \
xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{chr(10).join(urls)}
</urlset>
"""


def pages_sitemap() -> str:
    pages = (
        ("/", "2022-05-06"),
        (TECH_LIST, "2022-04-02"),
        (TECH_LIST_2, "2022-04-02"),
        (FINANCE_LIST, "2022-05-06"),
        (FINANCE_LIST_2, "2022-05-06"),
        (TAG_5G, "2022-04-02"),
        (GBK_ARTICLE, "2019-11-20"),
        (TABLE_ARTICLE, "2005-06-12"),
    )
    urls = "\n".join(f"<url><loc>{BASE}{p}</loc><lastmod>{d}</lastmod></url>" for p, d in pages)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
"""


def rss() -> str:
    items = []
    for a in (BY_PATH[A5], BY_PATH[A4], BY_PATH[A3]):
        when = datetime.strptime(a.published, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
        items.append(f"""<item>
<title>{e(a.title)}</title>
<link>{BASE}{a.path}</link>
<guid isPermaLink="true">{BASE}{a.path}</guid>
<pubDate>{format_datetime(when)}</pubDate>
<description>{e(a.paragraphs[0][:40])}…</description>
</item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>中国网科技</title>
<link>{BASE}/</link>
<description>中国网科技频道最新稿件</description>
<language>zh-cn</language>
{chr(10).join(items)}
</channel>
</rss>
"""


def pages() -> dict[str, bytes]:
    """Every file of the portal: URL path (without the leading slash) -> bytes."""
    text: dict[str, str] = {
        "index.htm": home(),
        TECH_LIST: listing("科技", TECH_LIST, 1, (A3, A2, A1), "node_7001_2.htm"),
        TECH_LIST_2: listing("科技", TECH_LIST, 2, (GBK_ARTICLE, TABLE_ARTICLE), "node_7001.htm"),
        FINANCE_LIST: listing("财经", FINANCE_LIST, 1, (A5, A4), "node_7002_2.htm"),
        FINANCE_LIST_2: listing("财经", FINANCE_LIST, 2, (EN_ARTICLE,), "node_7002.htm"),
        TAG_5G: tag_page(),
        PRIVATE: secret_page(),
        TABLE_ARTICLE: table_article(TABLE),
        EN_ARTICLE: english_article(EN),
        "robots.txt": robots_txt(),
        "sitemap.xml": sitemap_index(),
        "sitemap-news.xml": news_sitemap(),
        "sitemap-pages.xml": pages_sitemap(),
        "rss.xml": rss(),
    }
    for a in ARTICLES:
        text[a.path] = modern_article(a)
    headers = {
        GBK_ARTICLE: {"Content-Type": "text/html"},  # charset only in the page's <meta>
        "/rss.xml": {"Content-Type": "application/rss+xml; charset=utf-8"},
    }
    text["_headers.json"] = json.dumps(headers, indent=2) + "\n"
    files = {path.lstrip("/"): body.encode("utf-8") for path, body in text.items()}
    files[GBK_ARTICLE.lstrip("/")] = gbk_article(GBK).encode("gbk")  # strict: fails if not GBK
    images = ["images/logo.gif", "images/logo_2005.gif", "images/logo_en.gif"]
    images += [a.figure.src.lstrip("/") for a in BY_PATH.values() if a.figure]
    files.update(dict.fromkeys(images, PIXEL_GIF))
    return dict(sorted(files.items()))


def write(out: Path) -> list[Path]:
    written = []
    for rel, data in pages().items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written


if __name__ == "__main__":
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else PORTAL_DIR
    for path in write(out_dir):
        print(path)
