"""Who publishes the report: real-looking bodies composed from place-name parts, with their size class.

The size class drives the figure distributions (a 街道办事处 sees a handful of requests, a city thousands).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from govreport.configs import load


@dataclass(frozen=True)
class Body:
    name: str  # 尖山区人民政府
    short: str  # 尖山区 (how the report refers to itself)
    size: str  # province, city, county, dept, street
    kind: str  # government, office, department, street, township
    province: str
    upper: str  # the next level up (市委、市政府 …)
    makes_rules: bool  # only province and larger city governments make 规章


def _place(rng: random.Random) -> str:
    v = load("synth")["vocab"]
    a, b = rng.choice(v["place_first"]), rng.choice(v["place_second"])
    while b == a:
        b = rng.choice(v["place_second"])
    return a + b


def sample_body(rng: random.Random) -> Body:
    """Draw a publishing body: governments at every level, their offices and departments, streets, towns."""
    v = load("synth")["vocab"]
    province = rng.choice(v["provinces"])
    city = _place(rng) + "市"
    county = _place(rng) + rng.choice(["区", "县", "区", "市"])
    kind = rng.choices(
        ["province", "city", "county", "office", "department", "street", "township"],
        weights=[0.02, 0.12, 0.3, 0.08, 0.28, 0.1, 0.1],
    )[0]
    if kind == "province":
        return Body(province + "人民政府", province, "province", "government", province, "党中央、国务院", True)
    if kind == "city":
        return Body(city + "人民政府", city, "city", "government", province, "省委、省政府", rng.random() < 0.7)
    if kind == "county":
        short = county if rng.random() < 0.8 else city + county
        return Body(short + "人民政府", short, "county", "government", province, "市委、市政府", False)
    if kind == "office":
        place = rng.choice([city, county])
        name = place + rng.choice(v["offices"])
        short = rng.choice([name, place.rstrip("市区县") + rng.choice(["县", "区", "市"]) + "政府办公室"])
        return Body(name, short, "dept", "office", province, "县委、县政府", False)
    if kind == "department":
        place = rng.choice([city, county, county])
        dept = rng.choice(v["departments"])
        if dept == "公安局" and place.endswith("区"):
            dept = "公安分局"
        size = "city" if place == city and rng.random() < 0.3 else "dept"
        return Body(place + dept, place + dept, size, "department", province, "上级部门", False)
    if kind == "street":
        name = _place(rng) + rng.choice(v["street_suffix"])
        return Body(name, name, "street", "street", province, "区委、区政府", False)
    name = _place(rng) + rng.choice(v["township"])
    return Body(name, name.replace("人民政府", ""), "street", "township", province, "县委、县政府", False)


def title_for(rng: random.Random, body: Body, year: int) -> str:
    """The title line in one of the ways real reports print it."""
    who = body.name if rng.random() < 0.6 else body.short
    return rng.choice(
        [
            f"{who}{year}年政府信息公开工作年度报告",
            f"{who} {year} 年政府信息公开工作年度报告",
            f"{who}{year}年度政府信息公开工作年度报告",
            f"{who}{year}年政府信息公开工作年度报告",
            f"{who}{year}年度政府信息公开工作报告",
        ]
    )
