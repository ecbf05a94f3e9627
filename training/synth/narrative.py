"""Running text of a report: title, intro with dates and contacts, section headings in their printed
variants, sub-headings in the styles real reports use, and the prose with figures that match the tables."""

from __future__ import annotations

import random
import re

from govreport.configs import load
from govreport.training.synth.model import Block, Piece
from govreport.training.synth.names import Body

_NUMERALS = "一二三四五六七八九十"
_SEC4_VARIANTS = ["四、因政务信息公开被申请行政复议、提起行政诉讼情况", "四、政府信息公开行政复议、行政诉讼情况"]
_SEC5_VARIANTS = ["五、存在问题及改进情况", "五、存在的主要问题及改进情况", "五、存在的主要问题及改进措施"]
_SEC6_VARIANTS = ["六、其他报告的事项", "六、其他需要报告的事项", "六、其他需要报告的事项"]


def section_heading(rng: random.Random, sid: int) -> str:
    """The heading of section ``sid`` as this report prints it."""
    content = load("synth")["content"]
    canonical = next(s["label"] for s in load("templates")["sections"] if s["id"] == sid)
    variants = {4: (_SEC4_VARIANTS, "sec4_variant"), 5: (_SEC5_VARIANTS, "sec5_variant"),
                6: (_SEC6_VARIANTS, "sec6_variant")}
    if sid in variants and rng.random() < content[variants[sid][1]]:
        return rng.choice(variants[sid][0])
    return canonical


def _sub_style(rng: random.Random) -> str:
    return rng.choice(["paren_full", "paren_full", "paren_half", "arabic", "arabic_dun", "yishi", "bullet"])


def _sub_marker(style: str, i: int) -> str:
    n = _NUMERALS[i]
    return {"paren_full": f"（{n}）", "paren_half": f"({n})", "bullet": f"({n})", "arabic": f"{i + 1}.",
            "arabic_dun": f"{i + 1}、", "yishi": f"{n}是"}[style]


_ENUM_LEAD = re.compile(r"(?:[一二三四五六七八九十]+是|\d+[.、])")


def _para(text: str) -> Block:
    """A paragraph; one that opens with an enumerator (一是…, 1.…) has that clause as a SUB heading when it
    ends within 40 characters, the convention the rules tagger and the post-processor share."""
    stop = text.find("。")
    if _ENUM_LEAD.match(text) and 0 < stop <= 40:
        return Block("para", [Piece(text[:stop], "SUB"), Piece(text[stop:])])
    return Block("para", [Piece(text)])


def _sub_block(rng: random.Random, style: str, i: int, title: str, text: str) -> list[Block]:
    """A sub-heading with its text: on its own line, or running into the paragraph."""
    marker = _sub_marker(style, i)
    head = Piece(marker + title, "SUB")
    prefix = [Piece("- ")] if style == "bullet" else []
    if style in ("yishi", "bullet") or rng.random() < 0.5:
        return [Block("para", [*prefix, head, Piece("。" + text)])]
    return [Block("sub", [*prefix, head]), _para(text)]


def fill(template: str, slots: dict[str, object]) -> str:
    return template.format(**slots)


def slots_for(rng: random.Random, body: Body, year: int, n_new: int, n_co: int) -> dict[str, object]:
    v = load("synth")["vocab"]
    domain = "".join(rng.choice("abcdefghjklmnpqrstwxyz") for _ in range(rng.randint(2, 5)))
    return {
        "body": body.name, "short": body.short, "year": year, "province": body.province, "upper": body.upper,
        "unit": {"government": "区" if body.short.endswith("区") else "市", "office": "办",
                 "department": "局", "street": "街道", "township": "镇"}.get(body.kind, "单位"),
        "office": body.short + "人民政府办公室" if body.kind == "government"
        else body.short if body.kind == "office" else body.short + "办公室",
        "address": f"{body.short.rstrip('人民政府')}{rng.choice(v['streets'])}{rng.randint(1, 399)}号",
        "postcode": f"{rng.randint(10, 99)}{rng.randint(0, 9999):04d}",
        "phone": f"0{rng.randint(10, 999)}-{rng.randint(2000000, 89999999)}",
        "email": f"{domain}zwgk@{rng.choice(v['email_hosts'])}", "domain": domain,
        "domain_code": str(rng.randint(10**9, 10**10 - 1)),
        "pubdate": f"{year + 1}-0{rng.randint(1, 3)}-{rng.randint(10, 28)}",
        "n_new": n_new, "n_co": n_co, "n_pub": rng.randint(20, 20000), "n_doc": rng.randint(1, 300),
        "n_interp": rng.randint(1, 60), "n_small": rng.randint(1, 12),
    }


def head_blocks(rng: random.Random, title: str, slots: dict, chrome: bool) -> list[Block]:
    """Title, optional web chrome, and the intro paragraph(s)."""
    nar = load("synth")["narrative"]
    blocks: list[Block] = []
    if chrome:
        blocks.append(Block("chrome", [Piece("• " + title)]))
        blocks.append(Block("chrome", [Piece(fill(rng.choice(nar["chrome_head"]), slots))]))
    blocks.append(Block("title", [Piece(title, "TITLE")]))
    intro = fill(rng.choice(nar["intro"]), slots) + fill(rng.choice(nar["period"]), slots)
    intro += "".join(fill(t, slots) for t in rng.sample(nar["access"], rng.randint(1, 2)))
    if rng.random() < 0.85:
        blocks.append(_para(intro))
    return blocks


def sec_block(sid: int, heading: str) -> Block:
    return Block("sec", [Piece(heading, "SEC", f"sec:{sid}")])


def section1_blocks(rng: random.Random, slots: dict) -> list[Block]:
    nar = load("synth")["narrative"]
    blocks = [_para(fill(rng.choice(nar["overview"]), slots))]
    style = _sub_style(rng)
    topics = ["active", "request", "manage", "platform", "supervise"]
    if rng.random() < 0.2:
        topics = topics[:2] + rng.sample(topics[2:], 2)
    for i, topic in enumerate(topics):
        text = "".join(fill(t, slots) for t in rng.sample(nar["body1"][topic], rng.randint(1, 4)))
        blocks += _sub_block(rng, style, i, rng.choice(nar["subs1"][topic]), text)
    return blocks


def section5_blocks(rng: random.Random, slots: dict) -> list[Block]:
    nar = load("synth")["narrative"]
    problems, improve = fill(rng.choice(nar["problems"]), slots), fill(rng.choice(nar["improve"]), slots)
    if rng.random() < 0.4:
        style = _sub_style(rng)
        return (_sub_block(rng, style, 0, rng.choice(["存在的问题", "存在的主要问题"]), problems)
                + _sub_block(rng, style, 1, rng.choice(["改进措施", "改进情况"]), improve))
    return [_para(problems), _para(improve)]


def section6_blocks(rng: random.Random, slots: dict) -> list[Block]:
    return [_para(fill(rng.choice(load("synth")["narrative"]["other"]), slots))]


def tail_blocks(rng: random.Random, slots: dict) -> list[Block]:
    return [Block("chrome", [Piece(fill(rng.choice(load("synth")["narrative"]["chrome_tail"]), slots))])]
